// ResizeNearestNeighborGrad on wasm (segnet's decoder): the stock kernel searches a window of dy around
// every dx pixel; this one sums each dx pixel's own block of dy (../resize-nearest.ts).
import * as tf from '@tensorflow/tfjs-core';
import { resizeNearestBackprop } from '../resize-nearest.js';
import { alloc, heapF32, runStock, type TensorInfo, type WasmBackend } from './backend.js';

export function resizeNearestNeighborGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners } = args.attrs as unknown as tf.ResizeNearestNeighborGradAttrs;
  if (dy.dtype !== 'float32' || images.shape.length !== 4 || dy.shape.length !== 4) {
    return runStock(tf.ResizeNearestNeighborGrad, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const dx = alloc(backend, [...images.shape]);
  resizeNearestBackprop(heapF32(backend, dy), heapF32(backend, dx), images.shape, dy.shape[1], dy.shape[2], !!alignCorners);
  return dx;
}
