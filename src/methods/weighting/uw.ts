// Uncertainty weighting (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh
// Losses for Scene Geometry and Semantics", CVPR 2018).
import { checkGrads, linearCombination } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface UwState {
  /** s_t = log σ_t², one per task (init 0). */
  logVar: number[];
}

/** Plain SGD learning rate of the log-variances (fixed, not an option). */
export const UW_LR = 0.01;
/** s_t is kept in [−UW_LOGVAR_BOUND, UW_LOGVAR_BOUND] so a loss near 0 cannot blow the weight up. */
export const UW_LOGVAR_BOUND = 10;

/**
 * Total loss Σ_t (e^{−s_t} L_t + s_t). This step uses the current weights w_t = e^{−s_t}:
 * grad = Σ w_t g_t / T (the mean at s = 0), headScale_t = w_t, weights = w_t / T. Then s takes one SGD
 * step, s_t ← s_t − UW_LR·(1 − e^{−s_t} L_t), as it would when trained jointly with the network; s_t
 * tends to log L_t, so a task with a persistently higher loss gets a lower weight.
 */
export const uwWeighting: WeightingFactory = () => {
  const m: GradientWeighting<UwState> = {
    name: 'uw',
    summary: 'UW: losses weighted by learned homoscedastic uncertainty e^{-s_t}, plus s_t (Kendall et al., CVPR 2018).',
    init: (T) => ({ logVar: new Array<number>(T).fill(0) }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const w = state.logVar.map((s) => Math.exp(-s));
      const weights = w.map((v) => v / T);
      const logVar = state.logVar.map((s, t) => {
        const L = ctx.losses[t];
        if (!Number.isFinite(L)) return s;
        const next = s - UW_LR * (1 - Math.exp(-s) * L);
        return Math.min(UW_LOGVAR_BOUND, Math.max(-UW_LOGVAR_BOUND, next));
      });
      return { grad: linearCombination(grads, weights), headScale: w, weights, state: { logVar }, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
