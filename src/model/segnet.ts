// A small SegNet-style encoder–decoder for dense prediction (segmentation, depth), after the shared
// SegNet of MTAN (Liu et al., CVPR-19) shrunk to train on a CPU: one conv3×3 'same' + ReLU per stage.
//
//   enc0 (c→16) @ H      ─────────────────────────────┐ (skip, added)
//   pool 2×2 → enc1 (16→32) @ H/2  ──────────────────┐│
//   pool 2×2 → enc2 (32→64) @ H/4  ────────────────┐ ││
//   pool 2×2 → mid  (64→64) @ H/8                  │ ││
//   upsample → + enc2 → dec2 (64→32) @ H/4 ◄───────┘ ││
//   upsample → + enc1 → dec1 (32→16) @ H/2 ◄──────────┘│
//   upsample → + enc0 → dec0 (16→16) @ H   ◄───────────┘  = 16 features at every input pixel
//
// Upsampling is nearest-neighbour to the encoder stage's exact size (so odd sizes come back whole), and
// the skips are additive (the widths match by construction): they stand in for SegNet's max-unpooling
// indices at no parameter cost. No batch norm: its running statistics are state that FS masks do not
// cover and that differ between a task's masked network and the shared one; with 7 layers and He
// initialisation the network trains without it. Every parameter is a conv ParamLayer, so FS masks, the
// per-example Fisher (its input/preActivation hooks) and SE adapters (its output hook) cover all of it.
import * as tf from '@tensorflow/tfjs-core';
import { FsmtlError } from '../util/errors.js';
import type { Extractor } from './extractor.js';
import type { ConvLayer } from './layers.js';

/** Encoder widths per stage (the decoder mirrors them); the features are SEGNET_WIDTHS[0] per pixel. */
export const SEGNET_WIDTHS = [16, 32, 64] as const;
/** The smallest side: three 2×2 pools must leave at least one pixel. */
export const SEGNET_MIN_SIDE = 8;

export function segnetExtractor(inputShape: [number, number, number]): Extractor {
  const [h, w, c] = inputShape;
  if (h < SEGNET_MIN_SIDE || w < SEGNET_MIN_SIDE) {
    throw new FsmtlError(`segnet extractor needs inputs of at least ${SEGNET_MIN_SIDE}×${SEGNET_MIN_SIDE}, got ${h}×${w}`);
  }
  const [w0, w1, w2] = SEGNET_WIDTHS;
  const { hs, ws } = stageSizes(h, w);
  const conv = (name: string, inChannels: number, filters: number): ConvLayer => ({
    kind: 'conv',
    name,
    kernelSize: 3,
    inChannels,
    filters,
    stride: 1,
    padding: 'same',
  });
  const layers = [
    conv('enc0', c, w0),
    conv('enc1', w0, w1),
    conv('enc2', w1, w2),
    conv('mid', w2, w2),
    conv('dec2', w2, w1),
    conv('dec1', w1, w0),
    conv('dec0', w0, w0),
  ];
  return {
    arch: 'segnet',
    layers,
    inputShape,
    featureDim: w0,
    pixels: { height: h, width: w },
    preActivationShapes: (n) => layers.map((l, i) => [n, hs[STAGE[i]], ws[STAGE[i]], l.filters]),
    forward(x, params, hooks) {
      const input = segnetLayerInput(inputShape);
      const outputs: tf.Tensor4D[] = [];
      for (let i = 0; i < layers.length; i++) {
        const a = input(i, x, outputs);
        hooks?.input?.(i, a);
        let z: tf.Tensor = tf.add(tf.conv2d(a, params[2 * i] as tf.Tensor4D, 1, 'same'), params[2 * i + 1]);
        if (hooks?.preActivation) z = hooks.preActivation(i, z);
        const out = tf.relu(z) as tf.Tensor4D;
        outputs.push(hooks?.output ? (hooks.output(i, out) as tf.Tensor4D) : out);
      }
      return tf.reshape(outputs[6], [x.shape[0], h * w * w0]) as tf.Tensor2D;
    },
  };
}

/** Stage at which each of the seven layers runs (0: input resolution … 3: the bottleneck). */
const STAGE = [0, 1, 2, 3, 2, 1, 0];

/** Height and width of each stage: halved (floored) by each 2×2 pool. */
function stageSizes(h: number, w: number): { hs: number[]; ws: number[] } {
  const hs = [h];
  const ws = [w];
  for (let s = 0; s < 3; s++) {
    hs.push(Math.floor(hs[s] / 2));
    ws.push(Math.floor(ws[s] / 2));
  }
  return { hs, ws };
}

/**
 * The input of layer i, from the input x and the outputs of layers 0…i−1: x for enc0; the pooled
 * previous output in the encoder; in the decoder, the previous output upsampled to this stage plus the
 * skip from the encoder layer of the same stage. MTAN's task branch runs the same rule on attended features.
 */
export function segnetLayerInput(inputShape: [number, number, number]): (i: number, x: tf.Tensor4D, outputs: tf.Tensor[]) => tf.Tensor4D {
  const { hs, ws } = stageSizes(inputShape[0], inputShape[1]);
  return (i, x, outputs) => {
    if (i === 0) return x;
    const prev = outputs[i - 1] as tf.Tensor4D;
    if (i <= 3) return tf.maxPool(prev, 2, 2, 'valid');
    const s = STAGE[i];
    return tf.add(tf.image.resizeNearestNeighbor(prev, [hs[s], ws[s]]), outputs[6 - i]) as tf.Tensor4D;
  };
}
