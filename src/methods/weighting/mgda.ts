// MGDA (Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018).
import { checkGrads, gram, linearCombination, minNormElement, type Gram } from './linalg.js';
import type { CombineResult, GradientWeighting, WeightingFactory } from './types.js';

export type MgdaState = null;

/** Frank–Wolfe iteration cap and relative duality-gap tolerance of the min-norm solve. */
export const MGDA_MAX_ITER = 1000;
export const MGDA_TOL = 1e-10;

/**
 * α = argmin_{α ∈ simplex} αᵀKα for the Gram matrix K of some vectors (the task gradients themselves for
 * MGDA, their representation gradients for MGDA-UB), then grad = Σ α_t g_t with headScale 1. A solve that
 * stops at the iteration cap counts one solver failure; its α, a feasible point, is still used.
 */
export function minNormCombination<S>(grads: Float32Array[], K: Gram, state: S): CombineResult<S> {
  const r = minNormElement(K, MGDA_MAX_ITER, MGDA_TOL);
  const weights = Array.from(r.alpha);
  return {
    grad: linearCombination(grads, weights),
    headScale: new Array<number>(grads.length).fill(1),
    weights,
    state,
    solverFailures: r.converged ? 0 : 1,
  };
}

/**
 * α = argmin_{α ∈ simplex} ||Σ α_t g_t||² (min-norm solver on the Gram matrix, see minNormElement);
 * grad = Σ α_t g_t (weights sum to 1, so equal α give the mean). headScale = 1: head gradients are
 * not scaled by α (the paper's code multiplies the losses, heads included, by α).
 * A solve that hits the iteration cap with the gap above tolerance counts one solver failure (its α is
 * still used: it is a feasible point). Which vectors are passed (parameter gradients, or gradients
 * w.r.t. the shared representation for MGDA-UB) is the caller's choice.
 */
export const mgdaWeighting: WeightingFactory = () => {
  const m: GradientWeighting<MgdaState> = {
    name: 'mgda',
    summary: 'MGDA: min-norm point of the convex hull of task gradients (Sener & Koltun, NeurIPS 2018).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      return minNormCombination(grads, gram(grads), state);
    },
  };
  return m as GradientWeighting;
};
