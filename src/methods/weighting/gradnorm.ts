// GradNorm (Chen et al., "GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep
// Multitask Networks", ICML 2018).
import { checkGrads, linearCombination, norm } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface GradnormState {
  /** Task loss weights w_t (init 1, Σ w = T). */
  w: number[];
  /** Each task's loss at the first call, L_t(0). */
  initialLosses: number[] | null;
}

/** Lower bound on a weight after its update (before renormalisation). */
export const GRADNORM_MIN_WEIGHT = 1e-4;

/**
 * This step uses the current weights: grad = Σ w_t g_t / T (the mean at w = 1), headScale_t = w_t,
 * weights = w_t / T. Then the weights are updated: with g_t^last the part of g_t in ctx.lastShared,
 * G_t = w_t ||g_t^last||, Ḡ = mean G, r_t = (L_t/L_t(0)) / mean_s(L_s/L_s(0)), target_t = Ḡ r_t^α held
 * constant, L_grad = Σ |G_t − target_t|, ∂L_grad/∂w_t = sign(G_t − target_t) ||g_t^last||;
 * w ← w − gradnormLr·∂ (plain gradient step), clamped to ≥ GRADNORM_MIN_WEIGHT, renormalised to Σ w = T.
 */
export const gradnormWeighting: WeightingFactory = (opts) => {
  const alpha = opts.gradnormAlpha;
  const lr = opts.gradnormLr;
  const m: GradientWeighting<GradnormState> = {
    name: 'gradnorm',
    summary: 'GradNorm: tune loss weights so last-shared-layer gradient norms follow relative training rates (Chen et al., ICML 2018).',
    init: (T) => ({ w: new Array<number>(T).fill(1), initialLosses: null }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const [start, end] = ctx.lastShared;
      if (!(start >= 0 && end <= grads[0].length && start <= end)) {
        throw new RangeError(`gradnorm: lastShared [${start}, ${end}) outside [0, ${grads[0].length})`);
      }
      const w = state.w;
      const initialLosses = state.initialLosses ?? ctx.losses.slice();
      const weights = w.map((v) => v / T);
      const grad = linearCombination(grads, weights);

      const gnorm = grads.map((g) => norm(g, start, end));
      const G = gnorm.map((n, t) => w[t] * n);
      const Gbar = G.reduce((a, b) => a + b, 0) / T;
      const ratio = ctx.losses.map((L, t) => L / Math.max(initialLosses[t], 1e-12));
      const meanRatio = ratio.reduce((a, b) => a + b, 0) / T;
      let next = w.slice();
      if (meanRatio > 0 && Number.isFinite(meanRatio) && Gbar > 0) {
        next = w.map((wt, t) => {
          const target = Gbar * Math.pow(ratio[t] / meanRatio, alpha);
          const d = Math.sign(G[t] - target) * gnorm[t];
          return Math.max(GRADNORM_MIN_WEIGHT, wt - lr * d);
        });
        const sum = next.reduce((a, b) => a + b, 0);
        next = next.map((v) => (v * T) / sum);
      }
      return { grad, headScale: w.slice(), weights, state: { w: next, initialLosses }, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
