// PCGrad (Yu et al., "Gradient Surgery for Multi-Task Learning", NeurIPS 2020).
import type { Rng } from '../../util/rng.js';
import { checkGrads, gram, linearCombination, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type PcgradState = null;

/**
 * PCGrad's projections in coefficient space. Every projected gradient is a linear combination of the
 * original ones, g_i' = Σ_k C[i][k] g_k, so all dot products follow from the Gram matrix K:
 * for each task i, for the other tasks j in a random order (rng), if g_i'·g_j < 0 then
 * g_i' ← g_i' − (g_i'·g_j / ||g_j||²) g_j, always projecting onto the ORIGINAL g_j.
 * Returns C (T rows of T coefficients).
 */
export function pcgradCoefficients(K: Gram, rng: Rng): Float64Array[] {
  const T = K.length;
  const C: Float64Array[] = [];
  for (let i = 0; i < T; i++) {
    const c = new Float64Array(T);
    c[i] = 1;
    const others: number[] = [];
    const perm = rng.permutation(T);
    for (const j of perm) if (j !== i) others.push(j);
    for (const j of others) {
      let gij = 0;
      for (let k = 0; k < T; k++) gij += c[k] * K[k][j];
      const njj = K[j][j];
      if (gij < 0 && njj > 0) c[j] -= gij / njj;
    }
    C.push(c);
  }
  return C;
}

/**
 * grad = mean_i g_i' (the paper sums the projected gradients; the mean keeps the EW scale).
 * weights = the effective coefficients of the original g_k (mean over i of C[i][k]); headScale = 1.
 */
export const pcgradWeighting: WeightingFactory = () => {
  const m: GradientWeighting<PcgradState> = {
    name: 'pcgrad',
    summary: 'PCGrad: project away conflicting gradient components, then average (Yu et al., NeurIPS 2020).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const C = pcgradCoefficients(gram(grads), ctx.rng);
      const weights = new Array<number>(T).fill(0);
      for (let i = 0; i < T; i++) for (let k = 0; k < T; k++) weights[k] += C[i][k] / T;
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
