// RLW, random loss weighting (Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test
// for Multi-Task Learning", arXiv 2111.10603, 2021; TMLR 2022).
import type { Rng } from '../../util/rng.js';
import { checkGrads, linearCombination, softmax } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type RlwState = null;

/** λ = softmax(z), z ~ N(0, 1)^T, drawn from rng (T normal draws per call). */
export function randomSoftmaxWeights(rng: Rng, T: number): number[] {
  const z: number[] = [];
  for (let t = 0; t < T; t++) z.push(rng.normal());
  return softmax(z);
}

/**
 * The loss weights are λ (Σ λ = 1), so the shared gradient is Σ λ_t g_t (the mean at equal λ) and each
 * head gradient is scaled by λ_t·T (1 at equal λ: the same relative weighting as the shared part, on the
 * EW scale). weights = λ.
 */
export const rlwWeighting: WeightingFactory = () => {
  const m: GradientWeighting<RlwState> = {
    name: 'rlw',
    summary: 'RLW: random loss weights softmax(z), z ~ N(0, I), drawn every step (Lin et al., 2021).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const weights = randomSoftmaxWeights(ctx.rng, T);
      return { grad: linearCombination(grads, weights), headScale: weights.map((l) => l * T), weights, state, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
