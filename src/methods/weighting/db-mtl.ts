// DB-MTL, dual balancing (Lin et al., "Dual-Balancing for Multi-Task Learning", arXiv 2308.12029, 2023).
import { checkGrads, linearCombination, norm } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface DbMtlState {
  /** Calls so far. */
  step: number;
  /** Each task's EMA of its log-loss gradient ĝ_t = g_t/(L_t + ε) (null before the first call). */
  buffers: Float32Array[] | null;
}

/** Added to a loss before its log (LibMTL's 1e-8). */
export const DBMTL_EPS = 1e-8;

/**
 * Loss balancing: each task's loss enters as log(L_t + ε), whose gradient is ĝ_t = g_t/(L_t + ε).
 * Gradient balancing: an EMA of ĝ_t per task, m_t ← ĝ_t + β_k (m_t − ĝ_t) with β_k = β/k^σ at call k, then
 * each is scaled to the largest norm, α_t = max_s ||m_s|| / ||m_t||, and grad = (1/T) Σ_t α_t m_t
 * (LibMTL sums; the 1/T keeps the EW scale: T equal gradients at losses of 1 give their mean).
 *
 * linearInGrads is false: grad is built from the tracked m_t, not this call's g_t alone; `weights`
 * are the coefficients α_t/T of the m_t. headScale_t = 1/(L_t + ε): task t's own parameters follow its
 * log loss (LibMTL backpropagates the log losses to the heads). The EMA starts from the first call's
 * ĝ_t, not from 0 as in LibMTL, whose first steps are then shrunk by (1 − β) = 0.1 (a bias that only
 * decays, as in Adam without its correction). β = dbmtlBeta (0.9), σ = dbmtlBetaSigma (0): LibMTL's
 * defaults. A task whose m_t is zero keeps α_t = 1 (it adds nothing).
 */
export const dbMtlWeighting: WeightingFactory = (opts) => {
  const beta = opts.dbmtlBeta;
  const sigma = opts.dbmtlBetaSigma;
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`db-mtl: beta must be in [0, 1) (got ${beta})`);
  if (!(sigma >= 0)) throw new RangeError(`db-mtl: beta sigma must be ≥ 0 (got ${sigma})`);
  const m: GradientWeighting<DbMtlState> = {
    name: 'db-mtl',
    summary: 'DB-MTL: log losses, and EMA task gradients scaled to the largest norm (Lin et al., 2023).',
    linearInGrads: false,
    init: () => ({ step: 0, buffers: null }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const P = grads[0].length;
      const step = state.step + 1;
      const inv = ctx.losses.map((L) => 1 / ((Number.isFinite(L) ? Math.max(L, 0) : 1) + DBMTL_EPS));
      const bk = beta / step ** sigma;
      const buffers = grads.map((g, t) => {
        const out = new Float32Array(P);
        const prev = state.buffers?.[t];
        const s = inv[t];
        if (prev) for (let i = 0; i < P; i++) out[i] = g[i] * s + bk * (prev[i] - g[i] * s);
        else for (let i = 0; i < P; i++) out[i] = g[i] * s;
        return out;
      });
      const norms = buffers.map((b) => norm(b));
      const top = Math.max(...norms);
      const alpha = norms.map((n) => (n > 0 ? top / n : 1));
      const weights = alpha.map((a) => a / T);
      return { grad: linearCombination(buffers, weights), headScale: inv, weights, state: { step, buffers }, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
