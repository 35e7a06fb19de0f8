// GradVac, Gradient Vaccine (Wang et al., "Gradient Vaccine: Investigating and Improving Multi-task
// Optimization in Massively Multilingual Models", ICLR 2021).
import type { Rng } from '../../util/rng.js';
import { checkGrads, gram, linearCombination, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface GradvacState {
  /** The target cosine similarity φ̂_ij of each ordered task pair (an EMA of the observed ones; init 0). */
  target: number[][];
}

/**
 * GradVac's projections in coefficient space, like PCGrad's (see pcgradCoefficients): g_i' = Σ_k C[i][k] g_k.
 * For each task i, for the other tasks j in a random order (rng): with φ = cos(g_i', g_j) and target
 * φ̂ = target[i][j], if φ < φ̂ then g_i' ← g_i' + w g_j with
 *   w = ||g_i'|| (φ̂ sqrt(1 − φ²) − φ sqrt(1 − φ̂²)) / (||g_j|| sqrt(1 − φ̂²)),
 * which makes cos(g_i', g_j) = φ̂ exactly; then φ̂_ij ← (1 − β) φ̂_ij + β φ (the φ before the move).
 * Returns C and the updated targets (a new matrix).
 */
export function gradvacCoefficients(K: Gram, target: number[][], beta: number, rng: Rng): { C: Float64Array[]; target: number[][] } {
  const T = K.length;
  const next = target.map((row) => row.slice());
  const C: Float64Array[] = [];
  for (let i = 0; i < T; i++) {
    const c = new Float64Array(T);
    c[i] = 1;
    const perm = rng.permutation(T);
    for (const j of perm) {
      if (j === i) continue;
      let gij = 0;
      let gii = 0;
      for (let k = 0; k < T; k++) {
        gij += c[k] * K[k][j];
        for (let l = 0; l < T; l++) gii += c[k] * c[l] * K[k][l];
      }
      const ni = Math.sqrt(Math.max(gii, 0));
      const nj = Math.sqrt(Math.max(K[j][j], 0));
      if (!(ni > 0 && nj > 0)) continue; // a zero gradient has no direction to vaccinate
      const phi = Math.max(-1, Math.min(1, gij / (ni * nj)));
      const goal = next[i][j];
      if (phi < goal) {
        const w = (ni * (goal * Math.sqrt(1 - phi * phi) - phi * Math.sqrt(1 - goal * goal))) / (nj * Math.sqrt(1 - goal * goal));
        if (Number.isFinite(w)) c[j] += w;
      }
      next[i][j] = (1 - beta) * goal + beta * phi;
    }
    C.push(c);
  }
  return { C, target: next };
}

/**
 * On the whole shared gradient as one group (LibMTL's default group type 0; LibMTL also offers it
 * per layer or per matrix). grad = mean_i g_i' (LibMTL sums; the mean keeps the EW scale); weights = the effective
 * coefficients of the original g_k, mean over i of C[i][k]; headScale = 1. β = gradvacBeta (0.5,
 * LibMTL's default).
 */
export const gradvacWeighting: WeightingFactory = (opts) => {
  const beta = opts.gradvacBeta;
  if (!(beta > 0 && beta <= 1)) throw new RangeError(`gradvac: beta must be in (0, 1] (got ${beta})`);
  const m: GradientWeighting<GradvacState> = {
    name: 'gradvac',
    summary: 'GradVac: raise each pair\'s gradient cosine to an EMA target, then average (Wang et al., ICLR 2021).',
    init: (T) => ({ target: Array.from({ length: T }, () => new Array<number>(T).fill(0)) }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const { C, target } = gradvacCoefficients(gram(grads), state.target, beta, ctx.rng);
      const weights = new Array<number>(T).fill(0);
      for (let i = 0; i < T; i++) for (let k = 0; k < T; k++) weights[k] += C[i][k] / T;
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state: { target }, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
