// Task heads: one linear map from the extractor's features to a task's outputs. For an extractor with a
// pixel grid (`pixels`), features are [N, H·W·featureDim] (NHWC flattened) and the head acts per pixel
// as a 1×1 convolution with the same [featureDim, outputs] kernel, giving [N, H·W·outputs] (NHWC flattened).
import * as tf from '@tensorflow/tfjs-core';
import type { Extractor } from './extractor.js';

/** Number of output positions per example: H·W for a dense-prediction extractor, else 1. */
export function pixelCount(extractor: Pick<Extractor, 'pixels'>): number {
  return extractor.pixels ? extractor.pixels.height * extractor.pixels.width : 1;
}

/** Width of a task's model output per example: its head width times the extractor's pixel count. */
export function headOutputWidth(extractor: Pick<Extractor, 'pixels'>, outputs: number): number {
  return pixelCount(extractor) * outputs;
}

/** feats [N, P·featureDim] · kernel [featureDim, C] + bias [C], per pixel → [N, P·C] (P = pixelCount). */
export function applyHead(extractor: Pick<Extractor, 'pixels' | 'featureDim'>, feats: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  const p = pixelCount(extractor);
  if (p === 1 && !extractor.pixels) return tf.add(tf.matMul(feats as tf.Tensor2D, kernel as tf.Tensor2D), bias) as tf.Tensor2D;
  const n = feats.shape[0];
  const c = kernel.shape[1]!;
  if (!extractor.pixels) {
    const out = tf.add(tf.matMul(tf.reshape(feats, [n * p, extractor.featureDim]) as tf.Tensor2D, kernel as tf.Tensor2D), bias);
    return tf.reshape(out, [n, p * c]) as tf.Tensor2D;
  }
  // As a convolution: the engines' 1×1 convolutions (oneDNN on native) are 10–50× faster on these
  // shapes (N·H·W rows × featureDim 16 × outputs 21) than a skinny BLAS product.
  const { height, width } = extractor.pixels;
  const map = tf.reshape(feats, [n, height, width, extractor.featureDim]) as tf.Tensor4D;
  const out = tf.add(tf.conv2d(map, tf.reshape(kernel, [1, 1, extractor.featureDim, c]) as tf.Tensor4D, 1, 'valid'), bias);
  return tf.reshape(out, [n, p * c]) as tf.Tensor2D;
}
