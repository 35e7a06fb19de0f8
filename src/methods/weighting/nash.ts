// Nash-MTL (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022).
import { checkGrads, gram, gramScale, linearCombination, matVec, scaleGram, solveDense, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type NashState = null;

/** Largest accepted |α_t (Kα)_t − 1| (the relative residual of (Kα)_t = 1/α_t) for a solve to count. */
export const NASH_TOL = 1e-6;

export interface NashSolve {
  /** α > 0 solving Kα = 1/α (for K as given), or null when no solution was found. */
  alpha: Float64Array | null;
  /** max_t |α_t (Kα)_t − 1| at the last iterate. */
  residual: number;
  iterations: number;
}

/**
 * Solves (GᵀG)α = 1/α, α > 0, on the Gram matrix K = GᵀG. The solutions are the stationary points of
 * the strictly convex φ(α) = ½αᵀKα − Σ_t log α_t, so damped Newton on φ (Hessian K + diag(1/α²),
 * backtracking that keeps α > 0 and decreases φ) converges globally when a solution exists. K is first
 * normalised by its mean diagonal s (the solution for K is α_s / sqrt(s)). Starts at α ∝ 1/sqrt(K_tt)
 * scaled so that αᵀKα = T (which holds at the solution). The result is accepted only if the residual
 * max_t |α_t (Kα)_t − 1| < NASH_TOL; otherwise alpha = null. No solution exists when φ is unbounded
 * below, e.g. a zero gradient (K_tt = 0) or gradients whose non-negative combination vanishes
 * (two exactly opposite gradients): then Newton runs α off to infinity and the residual stays large.
 */
export function nashSolve(K: Gram, maxIter: number): NashSolve {
  const T = K.length;
  const s = gramScale(K);
  if (!(s > 0) || !Number.isFinite(s)) return { alpha: null, residual: Infinity, iterations: 0 };
  for (let t = 0; t < T; t++) if (!(K[t][t] > 1e-20 * s)) return { alpha: null, residual: Infinity, iterations: 0 };
  const Kn = scaleGram(K, s);
  const u = new Float64Array(T);
  for (let t = 0; t < T; t++) u[t] = 1 / Math.sqrt(Kn[t][t]);
  const Ku = matVec(Kn, u);
  let uKu = 0;
  for (let t = 0; t < T; t++) uKu += u[t] * Ku[t];
  if (!(uKu > 1e-14)) return { alpha: null, residual: Infinity, iterations: 0 };
  const beta = Math.sqrt(T / uKu);
  let alpha: Float64Array = u.map((v) => v * beta);
  const phi = (a: Float64Array) => {
    const Ka = matVec(Kn, a);
    let q = 0;
    let l = 0;
    for (let t = 0; t < T; t++) {
      q += a[t] * Ka[t];
      l += Math.log(a[t]);
    }
    return 0.5 * q - l;
  };
  const residualOf = (a: Float64Array) => {
    const Ka = matVec(Kn, a);
    let r = 0;
    for (let t = 0; t < T; t++) r = Math.max(r, Math.abs(a[t] * Ka[t] - 1));
    return r;
  };
  let residual = residualOf(alpha);
  let it = 0;
  let f = phi(alpha);
  let stalls = 0;
  while (residual >= 1e-10 && it < maxIter) {
    it++;
    const Ka = matVec(Kn, alpha);
    const grad = new Float64Array(T);
    const H: Float64Array[] = [];
    for (let i = 0; i < T; i++) {
      grad[i] = Ka[i] - 1 / alpha[i];
      const row = Float64Array.from(Kn[i]);
      row[i] += 1 / (alpha[i] * alpha[i]);
      H.push(row);
    }
    const step = solveDense(H, grad.map((g) => -g));
    if (!step) break;
    let slope = 0;
    for (let t = 0; t < T; t++) slope += grad[t] * step[t];
    if (!(slope < 0)) break;
    let tau = 1;
    for (let t = 0; t < T; t++) if (step[t] < 0) tau = Math.min(tau, (-0.99 * alpha[t]) / step[t]);
    let next: Float64Array | null = null;
    for (let bt = 0; bt < 60; bt++) {
      const cand = alpha.map((a, t) => a + tau * step[t]);
      const fc = phi(cand);
      if (fc <= f + 0.25 * tau * slope || (bt > 0 && residualOf(cand) < residual && fc <= f)) {
        next = cand;
        f = fc;
        break;
      }
      tau *= 0.5;
    }
    if (!next) break;
    alpha = next;
    const prev = residual;
    residual = residualOf(alpha);
    // Newton converges quadratically; a residual that stops falling has hit rounding (the floor grows
    // with the conditioning of K), so further steps are wasted.
    stalls = residual > 0.5 * prev ? stalls + 1 : 0;
    if (stalls >= 3 && residual < NASH_TOL) break;
  }
  if (!(residual < NASH_TOL) || alpha.some((a) => !(a > 0) || !Number.isFinite(a))) {
    return { alpha: null, residual, iterations: it };
  }
  const scale = 1 / Math.sqrt(s);
  return { alpha: alpha.map((a) => a * scale), residual, iterations: it };
}

/**
 * grad = Σ α_t g_t / Σ α_t: the paper does not normalise α (its scale follows from 1/α); here α are
 * normalised to sum 1 so that symmetric cases give the mean, like EW. α is re-solved every step (the
 * authors' update_weights_every defaults to 1). When no valid α is found (see nashSolve) the step falls
 * back to EW weights 1/T and counts one solver failure. headScale = 1. nashMaxIter caps Newton steps.
 */
export const nashWeighting: WeightingFactory = (opts) => {
  const maxIter = opts.nashMaxIter;
  const m: GradientWeighting<NashState> = {
    name: 'nash',
    summary: 'Nash-MTL: Nash bargaining solution (GᵀG)α = 1/α, normalised to Σα = 1 (Navon et al., ICML 2022).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const r = nashSolve(gram(grads), maxIter);
      let weights: number[];
      if (r.alpha) {
        const sum = r.alpha.reduce((x, y) => x + y, 0);
        weights = Array.from(r.alpha, (a) => a / sum);
      } else {
        weights = new Array<number>(T).fill(1 / T);
      }
      return {
        grad: linearCombination(grads, weights),
        headScale: new Array<number>(T).fill(1),
        weights,
        state,
        solverFailures: r.alpha ? 0 : 1,
      };
    },
  };
  return m as GradientWeighting;
};
