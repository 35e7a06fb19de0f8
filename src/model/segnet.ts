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
  // Spatial size of stage s (0: input resolution … 3: the bottleneck).
  const hs = [h];
  const ws = [w];
  for (let s = 0; s < 3; s++) {
    hs.push(Math.floor(hs[s] / 2));
    ws.push(Math.floor(ws[s] / 2));
  }
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
  // Stage at which each layer runs.
  const stage = [0, 1, 2, 3, 2, 1, 0];
  return {
    arch: 'segnet',
    layers,
    inputShape,
    featureDim: w0,
    pixels: { height: h, width: w },
    preActivationShapes: (n) => layers.map((l, i) => [n, hs[stage[i]], ws[stage[i]], l.filters]),
    forward(x, params, hooks) {
      const block = (i: number, a: tf.Tensor4D): tf.Tensor4D => {
        hooks?.input?.(i, a);
        let z: tf.Tensor = tf.add(tf.conv2d(a, params[2 * i] as tf.Tensor4D, 1, 'same'), params[2 * i + 1]);
        if (hooks?.preActivation) z = hooks.preActivation(i, z);
        const out = tf.relu(z) as tf.Tensor4D;
        return hooks?.output ? (hooks.output(i, out) as tf.Tensor4D) : out;
      };
      const pool = (a: tf.Tensor4D) => tf.maxPool(a, 2, 2, 'valid');
      const up = (a: tf.Tensor4D, s: number) => tf.image.resizeNearestNeighbor(a, [hs[s], ws[s]]);
      const e0 = block(0, x);
      const e1 = block(1, pool(e0));
      const e2 = block(2, pool(e1));
      const m = block(3, pool(e2));
      const d2 = block(4, tf.add(up(m, 2), e2) as tf.Tensor4D);
      const d1 = block(5, tf.add(up(d2, 1), e1) as tf.Tensor4D);
      const d0 = block(6, tf.add(up(d1, 0), e0) as tf.Tensor4D);
      return tf.reshape(d0, [x.shape[0], h * w * w0]) as tf.Tensor2D;
    },
  };
}
