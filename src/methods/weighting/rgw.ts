// RGW, random gradient weighting (Lin et al., "Reasonable Effectiveness of Random Weighting", 2021).
import { checkGrads, linearCombination } from './linalg.js';
import { randomSoftmaxWeights } from './rlw.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type RgwState = null;

/** The RLW draw λ = softmax(z) applied to the shared gradients only: grad = Σ λ_t g_t; headScale = 1. */
export const rgwWeighting: WeightingFactory = () => {
  const m: GradientWeighting<RgwState> = {
    name: 'rgw',
    summary: 'RGW: random gradient weights softmax(z), z ~ N(0, I), drawn every step (Lin et al., 2021).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const weights = randomSoftmaxWeights(ctx.rng, T);
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
