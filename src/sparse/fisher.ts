// Diagonal Fisher information of the shared extractor's parameters for one task (Eqs. 9–10).
//
// F̂_p = 1/N Σ_i Σ_j w_ij (∂ log p(target_j | x_i) / ∂θ_p)², where the task kind (src/tasks) says what the
// targets and weights are for each label mode: for a categorical task
//   'predicted' (Eq. 10, the paper's default): one target, the model's prediction argmax_c p(c | x_i);
//   'true':   one target, the example's label;
//   'exact'   (Eq. 9, EFS): every class c, weighted by p(c | x_i), one backward pass per class;
// binary tasks do the same over {0, 1}, regression over a unit-variance Gaussian (src/tasks/regression.ts).
// For a dense-prediction extractor (`pixels`) the head outputs [N, H·W·outputs] and a likelihood term is the
// sum over an example's pixels, so the squared gradients stay per example (summed over pixels inside).
//
import * as tf from '@tensorflow/tfjs-core';
import { convFisher, hasConvFisherKernel } from '../engine/conv-fisher.js';
import { denseFisher, hasDenseFisherKernel } from '../engine/dense-fisher.js';
import type { Extractor } from '../model/extractor.js';
import { applyHead } from '../model/head.js';
import type { ConvLayer } from '../model/layers.js';
import { taskKind } from '../tasks/registry.js';
import type { FisherLabel, FisherLikelihood, TaskSpec } from '../tasks/types.js';

export type { FisherLabel } from '../tasks/types.js';

export interface FisherHead {
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

/**
 * Unfold k×k patches: [N, H, W, C] → [N, P, C·k·k], flattened in (channel, row, col) order. A depthwise
 * conv with one-hot filters: each output is k·k multiply-adds (a dense conv with a one-hot filter would do
 * C·k·k: ~130 GFLOP for the cnn at 64×64, N = 256), and it runs on the engines' fast depthwise kernels
 * (slices and a concat along channels are scalar loops on wasm, slower still).
 */
export function unfoldPatches(a: tf.Tensor4D, layer: ConvLayer): tf.Tensor3D {
  return tf.tidy(() => {
    const k = layer.kernelSize;
    const taps = k * k;
    const c = a.shape[3];
    // A 1×1 kernel's patches are the pixels themselves (cross-stitch units are such convs).
    if (k === 1 && layer.stride === 1) return tf.reshape(a, [a.shape[0], a.shape[1] * a.shape[2], c]) as tf.Tensor3D;
    // eye[i, j, ch, m] = 1 when m = i·k + j: output channel ch·k·k + m is tap (i, j) of input channel ch.
    const eye = tf.tile(tf.reshape(tf.oneHot(tf.range(0, taps, 1, 'int32'), taps, 1, 0, 'float32'), [k, k, 1, taps]), [1, 1, c, 1]) as tf.Tensor4D;
    const patches = tf.depthwiseConv2d(a, eye, layer.stride, layer.padding);
    return tf.reshape(patches, [a.shape[0], patches.shape[1] * patches.shape[2], c * taps]) as tf.Tensor3D;
  });
}

/**
 * Inputs and pre-activation gradients of every parametric layer for objective Σ_i log p(target_i | x_i)
 * (one term of the task's likelihood), and the head outputs (for the term's weights).
 */
function layerDeltas(
  extractor: Extractor,
  params: tf.Tensor[],
  head: FisherHead,
  x: tf.Tensor4D,
  objective: (out: tf.Tensor2D) => tf.Scalar,
): { inputs: tf.Tensor[]; deltas: tf.Tensor[]; out: tf.Tensor2D } {
  const n = x.shape[0];
  const taps = extractor.preActivationShapes(n).map((s) => tf.zeros(s));
  const inputs: tf.Tensor[] = [];
  let out: tf.Tensor2D | undefined;
  const f = (...t: tf.Tensor[]) => {
    const feats = extractor.forward(x, params, {
      input: (l, a) => {
        inputs[l] = tf.keep(tf.clone(a)); // a clone: the first layer's input may be the caller's x
      },
      preActivation: (l, z) => tf.add(z, t[l]),
    });
    const o = applyHead(extractor, feats, head.kernel, head.bias);
    out = tf.keep(o);
    return objective(o);
  };
  const deltas = tf.grads(f)(taps);
  taps.forEach((t) => t.dispose());
  return { inputs, deltas, out: out! };
}

/**
 * Σ_i w_i (per-example gradient)² of a conv layer's kernel and bias, one filter-gradient kernel call per
 * example. For full-resolution feature maps (dense prediction) this beats unfolding patches: the patches
 * of a 64×64 map are k·k times the map, and the batched [cin·k·k, P]·[P, filters] products over them were
 * slower than the engines' own filter-gradient kernels (oneDNN on native), which do the same arithmetic;
 * wasm and native run the loop inside one kernel (../engine/conv-fisher.ts).
 */
function perExampleConvSquares(a: tf.Tensor4D, d: tf.Tensor4D, layer: ConvLayer, weights: tf.Tensor1D | null): [tf.Tensor, tf.Tensor] {
  const n = a.shape[0];
  const filterShape: [number, number, number, number] = [layer.kernelSize, layer.kernelSize, layer.inChannels, layer.filters];
  let b2 = tf.square(tf.sum(d, [1, 2])) as tf.Tensor2D; // [N, filters]
  if (weights) b2 = tf.mul(b2, tf.reshape(weights, [n, 1]));
  const bias = tf.sum(b2, 0);
  if (hasConvFisherKernel()) return [convFisher(a, d, weights, { filterShape, strides: layer.stride, pad: layer.padding }), bias];
  // Elsewhere (the cpu backend): one example at a time, sliced out.
  const attrs = { strides: layer.stride, pad: layer.padding, dataFormat: 'NHWC', filterShape };
  const w = weights ? weights.dataSync() : null;
  const kernelTerms: tf.Tensor[] = [];
  for (let i = 0; i < n; i++) {
    if (w && w[i] === 0) continue;
    const xi = tf.slice(a, [i, 0, 0, 0], [1, -1, -1, -1]);
    const dyi = tf.slice(d, [i, 0, 0, 0], [1, -1, -1, -1]);
    const g = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xi, dy: dyi }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const g2 = tf.square(g);
    kernelTerms.push(w ? tf.mul(g2, w[i]) : g2);
  }
  return [kernelTerms.length ? tf.addN(kernelTerms) : tf.zeros(filterShape), bias];
}

/** Adds Σ_i w_i (per-example gradient)² of each layer's kernel and bias into acc. */
function accumulateSquares(
  extractor: Extractor,
  inputs: tf.Tensor[],
  deltas: tf.Tensor[],
  weights: tf.Tensor1D | null,
  acc: tf.Tensor[],
): void {
  extractor.layers.forEach((layer, l) => {
    const [k, b] = tf.tidy(() => {
      const d = deltas[l];
      const n = d.shape[0];
      if (layer.kind === 'dense') {
        let d2 = tf.square(d) as tf.Tensor2D;
        if (weights) d2 = tf.mul(d2, tf.reshape(weights, [n, 1]));
        const a2 = tf.square(inputs[l]) as tf.Tensor2D;
        return [tf.matMul(a2, d2, true, false), tf.sum(d2, 0)];
      }
      if (extractor.pixels) return perExampleConvSquares(inputs[l] as tf.Tensor4D, d as tf.Tensor4D, layer, weights);
      const patches = unfoldPatches(inputs[l] as tf.Tensor4D, layer);
      const d3 = tf.reshape(d, [n, -1, layer.filters]) as tf.Tensor3D;
      let g2 = tf.square(tf.matMul(patches, d3, true, false)); // [N, cin·k·k, filters]
      let b2 = tf.square(tf.sum(d3, 1)); // [N, filters]
      if (weights) {
        g2 = tf.mul(g2, tf.reshape(weights, [n, 1, 1]));
        b2 = tf.mul(b2, tf.reshape(weights, [n, 1]));
      }
      // (cin, row, col) order → the kernel's (row, col, cin).
      const sum = tf.reshape(tf.sum(g2, 0), [layer.inChannels, layer.kernelSize * layer.kernelSize, layer.filters]);
      return [tf.reshape(tf.transpose(sum, [1, 0, 2]), acc[2 * l].shape), tf.sum(b2, 0)];
    });
    for (const [i, term] of [
      [2 * l, k],
      [2 * l + 1, b],
    ] as const) {
      const next = tf.add(acc[i], term);
      acc[i].dispose();
      term.dispose();
      acc[i] = next;
    }
  });
}

/** Whether the native one-call kernel computes this task's Fisher: a dense extractor and a categorical likelihood. */
function denseKernelApplies(extractor: Extractor, spec: TaskSpec): boolean {
  return extractor.arch === 'mlp' && !extractor.composite && !extractor.pixels && (spec.kind === 'multiclass' || spec.kind === 'binary') && hasDenseFisherKernel();
}

/**
 * Diagonal Fisher of the extractor parameters `params` for one task, from the examples x with labels y
 * ([N, label width], as encoded by the task kind; used by 'true'). Returns one tensor per parameter
 * tensor, shaped like it. Examples should be labelled ones: a missing label contributes nothing to 'true'.
 */
export function fisherDiagonal(
  extractor: Extractor,
  params: tf.Tensor[],
  head: FisherHead,
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  spec: TaskSpec,
  label: FisherLabel,
): tf.Tensor[] {
  const n = x.shape[0];
  if (denseKernelApplies(extractor, spec)) {
    // The same quantity in one native call (no tape, no per-op overhead); see ../engine/dense-fisher.ts.
    // A binary task's σ(z) is softmax([0, z])₁, so it runs as two classes with a zero first logit.
    const binary = spec.kind === 'binary';
    return tf.tidy(() => {
      const kernel = binary ? tf.concat([tf.zerosLike(head.kernel), head.kernel], 1) : head.kernel;
      const bias = binary ? tf.concat([tf.zerosLike(head.bias), head.bias]) : head.bias;
      return denseFisher(tf.reshape(x, [n, -1]) as tf.Tensor2D, tf.reshape(y, [n]) as tf.Tensor1D, params, kernel, bias, label);
    });
  }
  return fisherFromLikelihood(extractor, params, head, x, y, taskKind(spec).fisher(spec, label));
}

/** Examples per backward pass of the generic Fisher for a per-pixel extractor. */
export const FISHER_PIXEL_CHUNK = 16;

/** The generic path of fisherDiagonal: one batched backward pass per term of the likelihood. */
export function fisherFromLikelihood(
  extractor: Extractor,
  params: tf.Tensor[],
  head: FisherHead,
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  likelihood: FisherLikelihood,
): tf.Tensor[] {
  const n = x.shape[0];
  const acc = params.map((p) => tf.zeros(p.shape));
  // Per-pixel extractors keep every layer's activations and patches at full resolution: run the examples
  // in chunks (the sums are per example, so chunking changes only the order of additions).
  const chunk = extractor.pixels ? Math.max(1, Math.min(n, FISHER_PIXEL_CHUNK)) : n;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const xs = m === n ? x : (tf.slice(x, [s, 0, 0, 0], [m, -1, -1, -1]) as tf.Tensor4D);
    const ys = m === n ? y : (tf.slice(y, [s, 0], [m, -1]) as tf.Tensor2D);
    for (let term = 0; term < likelihood.terms; term++) {
      const { inputs, deltas, out } = layerDeltas(extractor, params, head, xs, (o) => likelihood.objective(o, ys, term));
      // tidy keeps the returned weights (null when every example counts once) and frees what made them.
      const w = tf.tidy(() => likelihood.weight(out, term) as tf.Tensor1D) as tf.Tensor1D | null;
      accumulateSquares(extractor, inputs, deltas, w, acc);
      [...inputs, ...deltas, out].forEach((t) => t.dispose());
      w?.dispose();
    }
    if (xs !== x) xs.dispose();
    if (ys !== y) ys.dispose();
  }
  return acc.map((a) => {
    const mean = tf.div(a, n);
    a.dispose();
    return mean;
  });
}
