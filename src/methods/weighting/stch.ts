// STCH, smooth Tchebycheff scalarisation (Lin et al., "Smooth Tchebycheff Scalarization for
// Multi-Objective Optimization", ICML 2024).
import { checkGrads, linearCombination, softmax } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface StchState {
  /** Sum and count of the losses seen in the nadir epoch (epoch = warm-up epochs). */
  sums: number[];
  count: number;
  /** The nadir point, fixed at the first call after the nadir epoch (null until then). */
  nadir: number[] | null;
}

/** Added to the normalised loss before its log (LibMTL's 1e-20). */
export const STCH_EPS = 1e-20;

/**
 * STCH's weights on the log losses: softmax_t(l_t/μ), l_t = log(L_t/nadir_t + ε). These are the
 * gradient of μ·log Σ_t exp(l_t/μ), the smooth maximum of the nadir-normalised log losses.
 */
export function stchWeights(losses: number[], nadir: number[], mu: number): number[] {
  return softmax(losses.map((L, t) => Math.log(Math.max(L, 0) / nadir[t] + STCH_EPS) / mu));
}

/**
 * Follows LibMTL (adapted from the authors' MTL code), which puts STCH on log losses normalised by a
 * nadir point instead of the paper's raw objectives minus an ideal point: for epochs < stchWarmupEpochs the
 * loss is Σ_t log L_t; during epoch stchWarmupEpochs too, while the losses are averaged into the nadir
 * point; from then on T·μ·log Σ_t exp(log(L_t/nadir_t + ε)/μ). The gradient of either is Σ_t c_t ∇L_t
 * with c_t = 1/L_t in warm-up and c_t = T·s_t/(L_t + nadir_t·ε) after, s = stchWeights. Shared gradient
 * grad = Σ_t (c_t/T) g_t (the mean at losses of 1 and equal weights; weights = c_t/T), headScale_t = c_t.
 * μ = stchMu (1) and 4 warm-up epochs are LibMTL's defaults.
 */
export const stchWeighting: WeightingFactory = (opts) => {
  const mu = opts.stchMu;
  const warmup = opts.stchWarmupEpochs;
  if (!(mu > 0)) throw new RangeError(`stch: mu must be > 0 (got ${mu})`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`stch: warm-up epochs must be an integer ≥ 0 (got ${warmup})`);
  const m: GradientWeighting<StchState> = {
    name: 'stch',
    summary: 'STCH: smooth Tchebycheff scalarisation of the nadir-normalised log losses (Lin et al., ICML 2024).',
    init: (T) => ({ sums: new Array<number>(T).fill(0), count: 0, nadir: null }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const L = ctx.losses.map((v) => (Number.isFinite(v) ? Math.max(v, 0) : 1));
      let { sums, count, nadir } = state;
      let c: number[];
      if (ctx.epoch <= warmup) {
        c = L.map((v) => 1 / (v + STCH_EPS));
        if (ctx.epoch === warmup) {
          sums = sums.map((s, t) => s + L[t]);
          count += 1;
        }
      } else {
        if (nadir === null) {
          // The nadir epoch's mean losses (this call's, if no call fell in that epoch).
          nadir = count > 0 ? sums.map((s) => s / count) : L.slice();
          nadir = nadir.map((v) => (v > 0 ? v : 1));
        }
        const s = stchWeights(L, nadir, mu);
        c = s.map((st, t) => (T * st) / (L[t] + nadir![t] * STCH_EPS));
      }
      const weights = c.map((v) => v / T);
      return { grad: linearCombination(grads, weights), headScale: c, weights, state: { sums, count, nadir }, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
