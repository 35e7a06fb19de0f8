// Diagonal Fisher information of the shared extractor's parameters for one task (Eqs. 9–10).
//
// F̂_p = 1/N Σ_i Σ_c w_ic (∂ log p(c | x_i) / ∂θ_p)², with
//   'predicted' (Eq. 10, the paper's default): w_ic = 1 for c = argmax_c p(c | x_i);
//   'true':   w_ic = 1 for the example's true label;
//   'exact'   (Eq. 9, EFS): w_ic = p(c | x_i), one backward pass per class.
//
// Per-example squared gradients are computed in batched form, never with N backward passes.
// Let a_i be a layer's input and δ_i = ∂ log p(c|x_i) / ∂z_i its pre-activation's gradient for example i
// (examples are independent, so one backward pass of Σ_i log p(c|x_i) gives every δ_i). Then
//   dense:  ∂/∂W = a_i δ_iᵀ, so Σ_i w_i (∂/∂W)² = (A∘A)ᵀ diag(w) (Δ∘Δ);  bias: Σ_i w_i δ_i²
//   conv:   ∂/∂W = U_iᵀ Δ_i with U_i the unfolded patches (positions × k·k·cin) of example i;
//           one batched matmul gives every U_iᵀ Δ_i, squared and summed over i;  bias: Σ_i w_i (Σ_pos δ_i)².
import * as tf from '@tensorflow/tfjs-core';
import { denseFisher, hasDenseFisherKernel } from '../engine/dense-fisher.js';
import type { Extractor } from '../model/extractor.js';
import type { ConvLayer } from '../model/layers.js';

export type FisherLabel = 'predicted' | 'true' | 'exact';

export interface FisherHead {
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

/** Unfold k×k patches: [N, H, W, C] → [N, P, k·k·C], flattened in the filter's (row, col, channel) order. */
export function unfoldPatches(a: tf.Tensor4D, layer: ConvLayer): tf.Tensor3D {
  return tf.tidy(() => {
    const k = layer.kernelSize;
    const c = a.shape[3];
    const depth = k * k * c;
    const eye = tf.reshape(tf.oneHot(tf.range(0, depth, 1, 'int32'), depth, 1, 0, 'float32'), [k, k, c, depth]) as tf.Tensor4D;
    const patches = tf.conv2d(a, eye, layer.stride, layer.padding);
    return tf.reshape(patches, [a.shape[0], patches.shape[1] * patches.shape[2], depth]) as tf.Tensor3D;
  });
}

/**
 * Inputs and pre-activation gradients of every parametric layer for objective Σ_i log p(c_i | x_i),
 * where the per-example target c_i is given as a one-hot (or weight) matrix `target` [N, C].
 */
function layerDeltas(
  extractor: Extractor,
  params: tf.Tensor[],
  head: FisherHead,
  x: tf.Tensor4D,
  target: (logProbs: tf.Tensor2D) => tf.Tensor2D,
): { inputs: tf.Tensor[]; deltas: tf.Tensor[]; logProbs: tf.Tensor2D } {
  const n = x.shape[0];
  const taps = extractor.preActivationShapes(n).map((s) => tf.zeros(s));
  const inputs: tf.Tensor[] = [];
  let logProbs: tf.Tensor2D | undefined;
  const objective = (...t: tf.Tensor[]) => {
    const feats = extractor.forward(x, params, {
      input: (l, a) => {
        inputs[l] = tf.keep(tf.clone(a)); // a clone: the first layer's input may be the caller's x
      },
      preActivation: (l, z) => tf.add(z, t[l]),
    });
    const lp = tf.logSoftmax(tf.add(tf.matMul(feats, head.kernel as tf.Tensor2D), head.bias) as tf.Tensor2D);
    logProbs = tf.keep(lp);
    // The target depends on lp only through argmax/one-hot, whose gradients are zero: it acts as a constant.
    return tf.sum(tf.mul(lp, target(lp)));
  };
  const deltas = tf.grads(objective)(taps);
  taps.forEach((t) => t.dispose());
  return { inputs, deltas, logProbs: logProbs! };
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
      const patches = unfoldPatches(inputs[l] as tf.Tensor4D, layer);
      const d3 = tf.reshape(d, [n, -1, layer.filters]) as tf.Tensor3D;
      let g2 = tf.square(tf.matMul(patches, d3, true, false)); // [N, k·k·cin, filters]
      let b2 = tf.square(tf.sum(d3, 1)); // [N, filters]
      if (weights) {
        g2 = tf.mul(g2, tf.reshape(weights, [n, 1, 1]));
        b2 = tf.mul(b2, tf.reshape(weights, [n, 1]));
      }
      return [tf.reshape(tf.sum(g2, 0), acc[2 * l].shape), tf.sum(b2, 0)];
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

/**
 * Diagonal Fisher of the extractor parameters `params` for one task, from the examples x (labels y,
 * used by 'true'). Returns one tensor per parameter tensor, shaped like it.
 */
export function fisherDiagonal(
  extractor: Extractor,
  params: tf.Tensor[],
  head: FisherHead,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  label: FisherLabel,
): tf.Tensor[] {
  const n = x.shape[0];
  if (extractor.arch === 'mlp' && hasDenseFisherKernel()) {
    // The same quantity in one native call (no tape, no per-op overhead); see ../engine/dense-fisher.ts.
    return denseFisher(tf.reshape(x, [n, -1]) as tf.Tensor2D, y, params, head.kernel, head.bias, label);
  }
  const numClasses = head.bias.shape[0];
  const acc = params.map((p) => tf.zeros(p.shape));
  const run = (target: (lp: tf.Tensor2D) => tf.Tensor2D, weights: (lp: tf.Tensor2D) => tf.Tensor1D | null) => {
    const { inputs, deltas, logProbs } = layerDeltas(extractor, params, head, x, target);
    const w = weights(logProbs);
    accumulateSquares(extractor, inputs, deltas, w, acc);
    [...inputs, ...deltas, logProbs].forEach((t) => t.dispose());
    w?.dispose();
  };
  if (label === 'predicted') {
    run((lp) => tf.oneHot(tf.argMax(lp, 1), numClasses) as tf.Tensor2D, () => null);
  } else if (label === 'true') {
    run(() => tf.oneHot(tf.cast(y, 'int32'), numClasses) as tf.Tensor2D, () => null);
  } else {
    for (let c = 0; c < numClasses; c++) {
      const onehot = tf.tidy(() => tf.oneHot(tf.fill([n], c, 'int32') as tf.Tensor1D, numClasses) as tf.Tensor2D);
      run(
        () => onehot,
        (lp) => tf.tidy(() => tf.exp(tf.reshape(tf.slice(lp, [0, c], [n, 1]), [n])) as tf.Tensor1D),
      );
      onehot.dispose();
    }
  }
  return acc.map((a) => {
    const mean = tf.div(a, n);
    a.dispose();
    return mean;
  });
}
