// Equal weighting: the mean of the task gradients (the baseline every other method is scaled to).
import { checkGrads, linearCombination } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type EwState = null;

export const ewWeighting: WeightingFactory = () => {
  const m: GradientWeighting<EwState> = {
    name: 'ew',
    summary: 'Equal weighting: the mean of the task gradients (the usual MTL baseline).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const weights = new Array<number>(T).fill(1 / T);
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
