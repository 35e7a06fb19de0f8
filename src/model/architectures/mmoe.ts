// MMoE, multi-gate mixture-of-experts (Ma et al., KDD 2018): E experts, each a copy of the configured
// extractor, shared by every task (θsh: masks and weightings cover all of them); each task owns a gate,
// a linear map of the flattened input followed by a softmax over the experts. Task t's features:
//   z_t(x) = Σ_e softmax(W_t · flatten(x) + b_t)_e · expert_e(x).
// As in LibMTL the gate reads the raw input; its weights start as PyTorch's nn.Linear does (U(±1/√fan-in)).
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from '../adapters.js';
import { builtBy, expertsNetwork, gateSpecs, initTaskSpecs, mixture, notPerLayer, shifted, sizeOf, softmaxGate } from './network.js';
import type { Extractor, ForwardHooks } from '../extractor.js';

/** Each shared expert's features on x; expert e's layers are layers e·L... of the shared network. */
export function expertFeatures(base: Extractor, count: number, x: tf.Tensor4D, params: tf.Tensor[], hooks?: ForwardHooks): tf.Tensor2D[] {
  const L = base.layers.length;
  return Array.from({ length: count }, (_, e) => base.forward(x, params.slice(2 * e * L, 2 * (e + 1) * L), shifted(hooks, e * L)));
}

export function mmoe(experts: number): TaskAdapter {
  const name = 'mmoe';
  return {
    name,
    network: expertsNetwork(name, experts),
    specs: (network) => gateSpecs('gate', sizeOf(builtBy(name, network).base.inputShape), experts),
    init: (specs, rng) => initTaskSpecs(specs, rng, () => 1 / Math.sqrt(specs[0].shape[0])),
    apply: notPerLayer(name),
    forward(network, x, params, taskParams, _specs, hooks) {
      const { base } = builtBy(name, network);
      return mixture(expertFeatures(base, experts, x, params, hooks), softmaxGate(x, taskParams[0], taskParams[1])) as tf.Tensor2D;
    },
  };
}
