// FairGrad (Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024).
import { checkGrads, gram, gramScale, linearCombination, matVec, scaleGram, solveDense, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type FairgradState = null;

/** Largest accepted relative residual max_t |w_t^{1/α} (Kw)_t − 1| for a solve to count. */
export const FAIRGRAD_TOL = 1e-6;

export interface FairgradSolve {
  /** w > 0 solving (Kw)_t = w_t^{−1/α} for K as given, or null when none was found. */
  w: Float64Array | null;
  residual: number;
  iterations: number;
}

/**
 * Solves FairGrad's fixed point (GᵀG w)_t = w_t^{−1/α}, w > 0, on the Gram matrix K = GᵀG (α = 1 is
 * Nash-MTL's equation). Its solutions are the stationary points of the strictly convex
 * φ(w) = ½wᵀKw − Σ_t h(w_t), h' (w) = w^{−1/α} (h = log for α = 1, w^{1−1/α}/(1−1/α) otherwise), so damped
 * Newton on φ (Hessian K + diag(w^{−1/α−1}/α)) converges when a solution exists. LibMTL (after the
 * authors' code) calls scipy's least_squares on the residual Kw − w^{−1/α} with bounds w ≥ 0 instead;
 * both find the same root. K is normalised by its mean diagonal s first (the root for K is the root for K/s times
 * s^{−α/(α+1)}). Accepted only if the relative residual is below FAIRGRAD_TOL; a zero gradient, or
 * gradients with a vanishing non-negative combination, have no root (w = null).
 */
export function fairgradSolve(K: Gram, alpha: number, maxIter = 100): FairgradSolve {
  const T = K.length;
  const s = gramScale(K);
  if (!(s > 0) || !Number.isFinite(s)) return { w: null, residual: Infinity, iterations: 0 };
  for (let t = 0; t < T; t++) if (!(K[t][t] > 1e-20 * s)) return { w: null, residual: Infinity, iterations: 0 };
  const Kn = scaleGram(K, s);
  const p = 1 / alpha;
  const h = (x: number) => (p === 1 ? Math.log(x) : x ** (1 - p) / (1 - p));
  const phi = (w: Float64Array) => {
    const Kw = matVec(Kn, w);
    let q = 0;
    let l = 0;
    for (let t = 0; t < T; t++) {
      q += w[t] * Kw[t];
      l += h(w[t]);
    }
    return 0.5 * q - l;
  };
  const residualOf = (w: Float64Array) => {
    const Kw = matVec(Kn, w);
    let r = 0;
    for (let t = 0; t < T; t++) r = Math.max(r, Math.abs(w[t] ** p * Kw[t] - 1));
    return r;
  };
  // Start from w ∝ 1/sqrt(K_tt), scaled to solve the equation along that ray.
  const u = Float64Array.from({ length: T }, (_, t) => 1 / Math.sqrt(Kn[t][t]));
  let w: Float64Array = u;
  let residual = residualOf(w);
  let f = phi(w);
  let it = 0;
  while (residual >= 1e-12 && it < maxIter) {
    it++;
    const Kw = matVec(Kn, w);
    const grad = new Float64Array(T);
    const H: Float64Array[] = [];
    for (let i = 0; i < T; i++) {
      grad[i] = Kw[i] - w[i] ** -p;
      const row = Float64Array.from(Kn[i]);
      row[i] += p * w[i] ** (-p - 1);
      H.push(row);
    }
    const step = solveDense(H, grad.map((g) => -g));
    if (!step) break;
    let slope = 0;
    for (let t = 0; t < T; t++) slope += grad[t] * step[t];
    if (!(slope < 0)) break;
    let tau = 1;
    for (let t = 0; t < T; t++) if (step[t] < 0) tau = Math.min(tau, (-0.99 * w[t]) / step[t]);
    let next: Float64Array | null = null;
    for (let bt = 0; bt < 60; bt++) {
      const cand = w.map((x, t) => x + tau * step[t]);
      const fc = phi(cand);
      if (fc <= f + 0.25 * tau * slope || (bt > 0 && residualOf(cand) < residual && fc <= f)) {
        next = cand;
        f = fc;
        break;
      }
      tau *= 0.5;
    }
    if (!next) break;
    w = next;
    residual = residualOf(w);
  }
  if (!(residual < FAIRGRAD_TOL) || w.some((x) => !(x > 0) || !Number.isFinite(x))) return { w: null, residual, iterations: it };
  const back = s ** (-alpha / (alpha + 1));
  return { w: w.map((x) => x * back), residual, iterations: it };
}

/**
 * grad = Σ w_t g_t / Σ w_t: w solves the fixed point above (re-solved every step); normalising to Σ = 1
 * keeps the EW scale (LibMTL backpropagates Σ w_t L_t with the raw w), as fsmtl does for Nash-MTL.
 * headScale = 1. When no root is found the step falls back to 1/T and counts one solver failure.
 * α = fairgradAlpha (1, LibMTL's default, where FairGrad coincides with Nash-MTL).
 */
export const fairgradWeighting: WeightingFactory = (opts) => {
  const alpha = opts.fairgradAlpha;
  if (!(alpha > 0)) throw new RangeError(`fairgrad: alpha must be > 0 (got ${alpha})`);
  const m: GradientWeighting<FairgradState> = {
    name: 'fairgrad',
    summary: 'FairGrad: α-fair allocation of the update among tasks, (GᵀG w)_t = w_t^{-1/α} (Ban & Ji, ICML 2024).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const r = fairgradSolve(gram(grads), alpha);
      let weights = new Array<number>(T).fill(1 / T);
      if (r.w) {
        const sum = r.w.reduce((a, b) => a + b, 0);
        weights = Array.from(r.w, (x) => x / sum);
      }
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state, solverFailures: r.w ? 0 : 1 };
    },
  };
  return m as GradientWeighting;
};
