// CGC, customized gate control (Tang et al., RecSys 2020, the one-level form of PLE): shared experts
// (θsh) and experts of each task's own (task-owned, trained by its loss only, like its gate and head);
// task t's gate is a softmax over its own and the shared experts, from the flattened input:
//   z_t(x) = Σ_e g_t(x)_e · expert_e(x),  e over the shared experts, then task t's.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from '../adapters.js';
import { builtBy, expertsNetwork, expertSpecs, gateSpecs, initTaskSpecs, mixture, notPerLayer, sizeOf, softmaxGate } from './network.js';
import { expertFeatures } from './mmoe.js';

export function cgc(shared: number, own: number): TaskAdapter {
  const name = 'cgc';
  return {
    name,
    network: expertsNetwork(name, shared),
    specs(network) {
      const { base } = builtBy(name, network);
      return [...gateSpecs('gate', sizeOf(base.inputShape), shared + own), ...Array.from({ length: own }, (_, e) => expertSpecs(base, `own${e}`)).flat()];
    },
    init: (specs, rng) => initTaskSpecs(specs, rng, (s) => (s.name.startsWith('gate/') ? 1 / Math.sqrt(specs[0].shape[0]) : null)),
    apply: notPerLayer(name),
    forward(network, x, params, taskParams, _specs, hooks) {
      const { base } = builtBy(name, network);
      const P = 2 * base.layers.length;
      const reps = [
        ...expertFeatures(base, shared, x, params, hooks),
        ...Array.from({ length: own }, (_, e) => base.forward(x, taskParams.slice(2 + e * P, 2 + (e + 1) * P))),
      ];
      return mixture(reps, softmaxGate(x, taskParams[0], taskParams[1])) as tf.Tensor2D;
    },
  };
}
