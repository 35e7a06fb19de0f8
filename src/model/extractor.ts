// Shared feature extractors Φ(x; θsh). Forward passes are pure functions of (input, parameter tensors)
// so that a task can run them on S_t ⊙ θsh (Eq. 3) and the Fisher module can tap every layer.
import * as tf from '@tensorflow/tfjs-core';
import { FsmtlError } from '../util/errors.js';
import type { ParamLayer, ParamSpec } from './layers.js';
import type { Rng } from '../util/rng.js';
import { SEGNET_MIN_SIDE, SEGNET_WIDTHS, segnetExtractor } from './segnet.js';

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
  /** The registry name (EXTRACTOR_NAMES). */
  arch: ExtractorArch;
  layers: ParamLayer[];
  inputShape: [number, number, number];
  /** Features per output position: per example, or per pixel when `pixels` is set. */
  featureDim: number;
  /**
   * Dense prediction: the extractor outputs a featureDim vector at each pixel of this grid, and each task
   * head acts per pixel (a 1×1 convolution; src/model/head.ts). Absent: one vector per example.
   */
  pixels?: { height: number; width: number };
  /** Shape of each parametric layer's pre-activation for a batch of n examples. */
  preActivationShapes(n: number): number[][];
  /**
   * x: [N, H, W, C]; params: [kernel_0, bias_0, ...]; returns features [N, featureDim], or with `pixels`
   * [N, height·width·featureDim] (NHWC flattened).
   */
  forward(x: tf.Tensor4D, params: tf.Tensor[], hooks?: ForwardHooks): tf.Tensor2D;
  /**
   * Set when this network is not the plain `arch` extractor: a multi-task architecture built over it
   * (src/model/architectures) or one bound to a task's adapter. Names it; the native dense Fisher skips it.
   */
  composite?: string;
  /** Initial parameter values, when not He-uniform (cross-stitch units start near the identity). */
  init?(specs: ParamSpec[], rng: Rng): Float32Array[];
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
  if (h2 < 1 || w2 < 1) throw tooSmall('lenet', inputShape);
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

/** The cnn's conv widths (one conv3×3 'same' + ReLU + maxpool 2×2 block each) and its feature width. */
export const CNN_WIDTHS = [32, 64, 128, 128] as const;
export const CNN_FEATURES = 256;

/**
 * A VGG-style CNN for larger colour images (64×64 RGB faces; 28×28 grey works too): blocks of
 * conv3×3 'same' → ReLU → maxpool 2×2 (floor, as PyTorch's default) of widths CNN_WIDTHS, then one dense
 * layer to CNN_FEATURES with ReLU. 'same' convs keep the size, so only the pools shrink it: 16×16 is the smallest input.
 */
export function cnnExtractor(inputShape: [number, number, number]): Extractor {
  const [h, w, c] = inputShape;
  const blocks = CNN_WIDTHS.length;
  // Spatial size entering block b (b = blocks: after the last pool).
  const hs = [h];
  const ws = [w];
  for (let b = 0; b < blocks; b++) {
    hs.push(Math.floor(hs[b] / 2));
    ws.push(Math.floor(ws[b] / 2));
  }
  if (hs[blocks] < 1 || ws[blocks] < 1) throw tooSmall('cnn', inputShape);
  const flat = hs[blocks] * ws[blocks] * CNN_WIDTHS[blocks - 1];
  const layers: ParamLayer[] = CNN_WIDTHS.map((filters, b) => ({
    kind: 'conv',
    name: `conv${b}`,
    kernelSize: 3,
    inChannels: b === 0 ? c : CNN_WIDTHS[b - 1],
    filters,
    stride: 1,
    padding: 'same',
  }));
  layers.push({ kind: 'dense', name: `dense${blocks}`, inputs: flat, units: CNN_FEATURES });
  return {
    arch: 'cnn',
    layers,
    inputShape,
    featureDim: CNN_FEATURES,
    preActivationShapes: (n) => [...CNN_WIDTHS.map((f, b) => [n, hs[b], ws[b], f]), [n, CNN_FEATURES]],
    forward(x, params, hooks) {
      let a: tf.Tensor4D = x;
      for (let i = 0; i < blocks; i++) {
        hooks?.input?.(i, a);
        let z: tf.Tensor = tf.add(tf.conv2d(a, params[2 * i] as tf.Tensor4D, 1, 'same'), params[2 * i + 1]);
        if (hooks?.preActivation) z = hooks.preActivation(i, z);
        a = tf.maxPool(tf.relu(z) as tf.Tensor4D, 2, 2, 'valid');
        if (hooks?.output) a = hooks.output(i, a) as tf.Tensor4D;
      }
      return applyDense(tf.reshape(a, [a.shape[0], flat]) as tf.Tensor2D, blocks, params, hooks);
    },
  };
}

/** One architecture of the registry. */
export interface ExtractorEntry {
  name: string;
  /** One line: what it is. */
  summary: string;
  /** Which inputs [H, W, C] it accepts, in words. */
  accepts: string;
  /** The smallest height and width it accepts. */
  minSide: number;
  /** Builds it for inputs of this shape; `hidden` are the MLP's widths (the conv extractors have fixed widths). */
  create(inputShape: [number, number, number], hidden: number[]): Extractor;
}

/** Every shared extractor, by name: config, CLI and model files take their names from here. */
export const EXTRACTORS = {
  mlp: {
    name: 'mlp',
    summary: 'flatten, then dense + ReLU layers of the widths `hidden`',
    accepts: 'any H×W×C (flattened)',
    minSide: 1,
    create: (inputShape, hidden) => mlpExtractor(inputShape, hidden),
  },
  lenet: {
    name: 'lenet',
    summary: 'LeNet-5: conv5×5(6) → pool → conv5×5(16) → pool → dense 120 → dense 84, ReLU',
    accepts: 'H, W ≥ 16, any channels (made for 28×28 grey)',
    minSide: 16,
    create: (inputShape) => lenetExtractor(inputShape),
  },
  cnn: {
    name: 'cnn',
    summary: `${CNN_WIDTHS.length} blocks of conv3×3 'same' + ReLU + maxpool 2×2 (widths ${CNN_WIDTHS.join(', ')}) → dense ${CNN_FEATURES}, ReLU`,
    accepts: 'H, W ≥ 16, any channels (made for 64×64 RGB; 28×28 grey works)',
    minSide: 16,
    create: (inputShape) => cnnExtractor(inputShape),
  },
  segnet: {
    name: 'segnet',
    summary: `encoder–decoder for per-pixel tasks: conv3×3 + ReLU stages of widths ${SEGNET_WIDTHS.join(', ')} with 2×2 max-pools, mirrored decoder with nearest upsampling and additive skips; ${SEGNET_WIDTHS[0]} features per input pixel`,
    accepts: `H, W ≥ ${SEGNET_MIN_SIDE}, any channels (made for 64×64 scenes and 128×256 RGB Cityscapes); outputs at every input pixel`,
    minSide: SEGNET_MIN_SIDE,
    create: (inputShape) => segnetExtractor(inputShape),
  },
} satisfies Record<string, ExtractorEntry>;

export type ExtractorArch = keyof typeof EXTRACTORS;

/** The registry's names, in its order. */
export const EXTRACTOR_NAMES = Object.keys(EXTRACTORS) as [ExtractorArch, ...ExtractorArch[]];

/** The error for an input below an extractor's smallest size, naming that size. */
function tooSmall(arch: ExtractorArch, [h, w]: [number, number, number]): FsmtlError {
  const min = EXTRACTORS[arch].minSide;
  return new FsmtlError(`${arch} extractor needs inputs of at least ${min}×${min}, got ${h}×${w}`);
}

export function makeExtractor(arch: ExtractorArch, inputShape: [number, number, number], hidden: number[]): Extractor {
  const entry = Object.hasOwn(EXTRACTORS, arch) ? EXTRACTORS[arch] : undefined;
  if (!entry) throw new FsmtlError(`unknown extractor '${String(arch)}' (known: ${EXTRACTOR_NAMES.join(', ')})`);
  return entry.create(inputShape, hidden);
}
