// DSelect-k (Hazimeh et al., NeurIPS 2021): MMoE whose gates select k experts out of E = 2^m through
// differentiable binary codes. Task t's gate, per example, has k selectors i with m logits z_i and a
// weight logit w_i, both linear in the flattened input:
//   r_i(e) = Π_j (bit_j(e) ? S(z_ij) : 1 − S(z_ij)),   α_e = Σ_i softmax(w)_i · r_i(e),
//   z_t(x) = Σ_e α_e · expert_e(x),
// with the smooth-step S(t) = 0 for t ≤ −γ/2, 1 for t ≥ γ/2, −2t³/γ³ + 3t/(2γ) + 1/2 between.
// This is the per-example gate as in LibMTL (which adapts the authors' TensorFlow code); as there, z
// starts U(±γ/100) and w U(±0.05). Not built: the paper's optional entropy regulariser, which LibMTL
// weights 1e-6, and the penalty for expert counts that are not a power of two, which fsmtl refuses.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from '../adapters.js';
import { FsmtlError } from '../../util/errors.js';
import { builtBy, expertsNetwork, flatInput, gateSpecs, initTaskSpecs, mixture, notPerLayer, sizeOf } from './network.js';
import { expertFeatures } from './mmoe.js';

/** The smooth-step S(t) of DSelect-k (a cubic between −γ/2 and γ/2, 0 and 1 outside). */
export function smoothStep(t: tf.Tensor, gamma: number): tf.Tensor {
  const c = tf.clipByValue(t, -gamma / 2, gamma / 2);
  return tf.add(tf.add(tf.mul(tf.pow(c, 3), -2 / gamma ** 3), tf.mul(c, 3 / (2 * gamma))), 0.5);
}

/** Bits of 0..E−1, [E, m], most significant first. */
export function binaryCodes(experts: number, bits: number): Float32Array {
  const codes = new Float32Array(experts * bits);
  for (let e = 0; e < experts; e++) for (let j = 0; j < bits; j++) codes[e * bits + j] = (e >> (bits - 1 - j)) & 1;
  return codes;
}

/** The expert weights α [N, E] from the selectors' logits z [N, k·m] and weight logits w [N, k]. */
export function dselectWeights(z: tf.Tensor2D, w: tf.Tensor2D, experts: number, selectors: number, gamma: number): tf.Tensor2D {
  const bits = Math.log2(experts);
  const n = z.shape[0];
  const s = tf.reshape(smoothStep(z, gamma), [n, selectors, 1, bits]);
  const b = tf.tensor4d(binaryCodes(experts, bits), [1, 1, experts, bits]);
  // Π over the bits as a chain of products of slices (tfjs's prod and unstack have no usable gradient here).
  const f = tf.add(tf.mul(b, s), tf.mul(tf.sub(1, b), tf.sub(1, s))); // [N, k, E, m]
  const factors = Array.from({ length: bits }, (_, j) => tf.reshape(tf.slice(f, [0, 0, 0, j], [n, selectors, experts, 1]), [n, selectors, experts]));
  const r = factors.reduce((p, q) => tf.mul(p, q));
  const a = tf.sum(tf.mul(r, tf.reshape(tf.softmax(w), [n, selectors, 1])), 1);
  return a as tf.Tensor2D;
}

export function dselectK(experts: number, selectors: number, gamma: number): TaskAdapter {
  const name = 'dselect-k';
  const bits = Math.log2(experts);
  if (!Number.isInteger(bits) || experts < 2) {
    throw new FsmtlError(`dselect-k needs a power of two of experts (its binary codes address 2^m of them), got ${experts}`);
  }
  return {
    name,
    network: expertsNetwork(name, experts),
    specs(network) {
      const d = sizeOf(builtBy(name, network).base.inputShape);
      return [...gateSpecs('select', d, selectors * bits), ...gateSpecs('weight', d, selectors)];
    },
    init: (specs, rng) => initTaskSpecs(specs, rng, (s) => (s.name.startsWith('select/') ? gamma / 100 : 0.05)),
    apply: notPerLayer(name),
    forward(network, x, params, taskParams, _specs, hooks) {
      const { base } = builtBy(name, network);
      const flat = flatInput(x);
      const z = tf.add(tf.matMul(flat, taskParams[0] as tf.Tensor2D), taskParams[1]) as tf.Tensor2D;
      const w = tf.add(tf.matMul(flat, taskParams[2] as tf.Tensor2D), taskParams[3]) as tf.Tensor2D;
      return mixture(expertFeatures(base, experts, x, params, hooks), dselectWeights(z, w, experts, selectors, gamma)) as tf.Tensor2D;
    },
  };
}
