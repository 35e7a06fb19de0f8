// PLE, progressive layered extraction (Tang et al., RecSys 2020): CGC stacked once per layer of the
// configured extractor. At level l every shared expert's layer l and every one of task t's own experts'
// layer l read task t's representation from level l−1 (the input at level 0), and task t's gate for level
// l (softmax of a linear map of that representation, flattened) mixes their outputs into its next
// representation. The shared experts are θsh; the task's experts and gates are its own.
// fsmtl follows LibMTL here, not the paper's text: the paper also runs a shared path whose gate mixes
// every task's experts into the shared experts' next input; without it a task's features depend only on
// θsh and its own modules (so tasks with different inputs, and the per-task Fisher, stay well defined).
// A level is one parametric layer of the extractor (LibMTL: one ResNet stage).
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from '../adapters.js';
import { applyLayer, builtBy, expertsNetwork, expertSpecs, gateSpecs, initTaskSpecs, layerOutputShapes, mixture, notPerLayer, sizeOf, softmaxGate } from './network.js';

export function ple(shared: number, own: number): TaskAdapter {
  const name = 'ple';
  return {
    name,
    network: expertsNetwork(name, shared),
    specs(network) {
      const { base } = builtBy(name, network);
      const inputs = [sizeOf(base.inputShape), ...layerOutputShapes(base).slice(0, -1).map(sizeOf)];
      return [...inputs.flatMap((d, l) => gateSpecs(`gate${l}`, d, shared + own)), ...Array.from({ length: own }, (_, e) => expertSpecs(base, `own${e}`)).flat()];
    },
    init: (specs, rng) => initTaskSpecs(specs, rng, (s) => (s.name.startsWith('gate') ? 1 / Math.sqrt(specs.find((g) => g.name === s.name.replace('/bias', '/kernel'))!.shape[0]) : null)),
    apply: notPerLayer(name),
    forward(network, x, params, taskParams, _specs, hooks) {
      const { base } = builtBy(name, network);
      const L = base.layers.length;
      const gates = 2 * L;
      let rep: tf.Tensor = x;
      for (let l = 0; l < L; l++) {
        const layer = base.layers[l];
        const outs = [
          ...Array.from({ length: shared }, (_, s) => applyLayer(layer, rep, params[2 * (s * L + l)], params[2 * (s * L + l) + 1], s * L + l, hooks)),
          ...Array.from({ length: own }, (_, e) => applyLayer(layer, rep, taskParams[gates + 2 * (e * L + l)], taskParams[gates + 2 * (e * L + l) + 1], -1)),
        ];
        rep = mixture(outs, softmaxGate(rep, taskParams[2 * l], taskParams[2 * l + 1]));
      }
      return rep as tf.Tensor2D;
    },
  };
}
