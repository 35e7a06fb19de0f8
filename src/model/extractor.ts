// Shared feature extractors Φ(x; θsh). Forward passes are pure functions of (input, parameter tensors)
// so that a task can run them on S_t ⊙ θsh (Eq. 3) and the Fisher module can tap every layer.
import * as tf from '@tensorflow/tfjs-core';
import { FsmtlError } from '../util/errors.js';
import type { ParamLayer } from './layers.js';

/**
 * Optional taps into a forward pass, used by the batched per-example Fisher:
 * `input` sees each parametric layer's input, `preActivation` may replace its pre-activation (z + tap).
 * `output` may replace each parametric layer's output (after activation and pooling); task adapters use it.
 */
export interface ForwardHooks {
  input?(layer: number, a: tf.Tensor): void;
  preActivation?(layer: number, z: tf.Tensor): tf.Tensor;
  output?(layer: number, a: tf.Tensor): tf.Tensor;
}

export interface Extractor {
  /** 'mlp' or 'lenet'. */
  arch: string;
  layers: ParamLayer[];
  inputShape: [number, number, number];
  featureDim: number;
  /** Shape of each parametric layer's pre-activation for a batch of n examples. */
  preActivationShapes(n: number): number[][];
  /** x: [N, H, W, C]; params: [kernel_0, bias_0, ...]; returns features [N, featureDim]. */
  forward(x: tf.Tensor4D, params: tf.Tensor[], hooks?: ForwardHooks): tf.Tensor2D;
}

function applyDense(a: tf.Tensor2D, i: number, params: tf.Tensor[], hooks?: ForwardHooks): tf.Tensor2D {
  hooks?.input?.(i, a);
  let z: tf.Tensor = tf.add(tf.matMul(a, params[2 * i] as tf.Tensor2D), params[2 * i + 1]);
  if (hooks?.preActivation) z = hooks.preActivation(i, z);
  const a2 = tf.relu(z) as tf.Tensor2D;
  return hooks?.output ? (hooks.output(i, a2) as tf.Tensor2D) : a2;
}

/** Multi-layer perceptron: flatten, then dense+ReLU layers of the given widths. */
export function mlpExtractor(inputShape: [number, number, number], hidden: number[]): Extractor {
  if (hidden.length === 0) throw new FsmtlError('mlp extractor needs at least one hidden layer');
  const inputs = inputShape[0] * inputShape[1] * inputShape[2];
  const layers: ParamLayer[] = hidden.map((units, i) => ({
    kind: 'dense',
    name: `dense${i}`,
    inputs: i === 0 ? inputs : hidden[i - 1],
    units,
  }));
  return {
    arch: 'mlp',
    layers,
    inputShape,
    featureDim: hidden[hidden.length - 1],
    preActivationShapes: (n) => hidden.map((u) => [n, u]),
    forward(x, params, hooks) {
      let a = tf.reshape(x, [x.shape[0], inputs]) as tf.Tensor2D;
      for (let i = 0; i < layers.length; i++) a = applyDense(a, i, params, hooks);
      return a;
    },
  };
}

/** LeNet-5 style: conv5x5(6) → pool → conv5x5(16) → pool → dense 120 → dense 84, ReLU throughout. */
export function lenetExtractor(inputShape: [number, number, number]): Extractor {
  const [h, w, c] = inputShape;
  const after = (s: number) => Math.floor((s - 4) / 2);
  const h2 = after(after(h));
  const w2 = after(after(w));
  if (h2 < 1 || w2 < 1) throw new FsmtlError(`lenet extractor needs inputs of at least 16×16, got ${h}×${w}`);
  const flat = h2 * w2 * 16;
  const layers: ParamLayer[] = [
    { kind: 'conv', name: 'conv0', kernelSize: 5, inChannels: c, filters: 6, stride: 1, padding: 'valid' },
    { kind: 'conv', name: 'conv1', kernelSize: 5, inChannels: 6, filters: 16, stride: 1, padding: 'valid' },
    { kind: 'dense', name: 'dense2', inputs: flat, units: 120 },
    { kind: 'dense', name: 'dense3', inputs: 120, units: 84 },
  ];
  return {
    arch: 'lenet',
    layers,
    inputShape,
    featureDim: 84,
    preActivationShapes: (n) => [
      [n, h - 4, w - 4, 6],
      [n, after(h) - 4, after(w) - 4, 16],
      [n, 120],
      [n, 84],
    ],
    forward(x, params, hooks) {
      let a: tf.Tensor4D = x;
      for (let i = 0; i < 2; i++) {
        hooks?.input?.(i, a);
        let z: tf.Tensor = tf.add(tf.conv2d(a, params[2 * i] as tf.Tensor4D, 1, 'valid'), params[2 * i + 1]);
        if (hooks?.preActivation) z = hooks.preActivation(i, z);
        a = tf.maxPool(tf.relu(z) as tf.Tensor4D, 2, 2, 'valid');
        if (hooks?.output) a = hooks.output(i, a) as tf.Tensor4D;
      }
      let d = tf.reshape(a, [a.shape[0], flat]) as tf.Tensor2D;
      for (let i = 2; i < 4; i++) d = applyDense(d, i, params, hooks);
      return d;
    },
  };
}

export type ExtractorArch = 'mlp' | 'lenet';

export function makeExtractor(arch: ExtractorArch, inputShape: [number, number, number], hidden: number[]): Extractor {
  if (arch === 'mlp') return mlpExtractor(inputShape, hidden);
  if (arch === 'lenet') return lenetExtractor(inputShape);
  throw new FsmtlError(`unknown extractor '${String(arch)}' (known: mlp, lenet)`);
}
