// CAGrad (Liu et al., "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS 2021).
import { checkGrads, gram, gramScale, linearCombination, matVec, projectSimplex, quadForm, scaleGram, solveDense, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type CagradState = null;

export interface CagradSolve {
  /** w on the simplex minimising g_wᵀg0 + c·||g0||·||g_w||. */
  w: Float64Array;
  /** Effective coefficients of the task gradients in the returned direction d/(1+c). */
  coeffs: number[];
  /** Frank–Wolfe gap of the (smoothed) objective at w, relative to the mean squared gradient norm. */
  gap: number;
  iterations: number;
  converged: boolean;
}

export const CAGRAD_MAX_ITER = 2000;
export const CAGRAD_TOL = 1e-7;

/**
 * Solves CAGrad's T-dimensional dual on the Gram matrix K:
 *   w = argmin_{w ∈ simplex} F(w) = wᵀK b + c·sqrt(bᵀKb)·sqrt(wᵀKw),  b = (1/T, …, 1/T)
 * (g_wᵀg0 + sqrt(φ)||g_w||, φ = c²||g0||²) by projected gradient descent with backtracking, each step
 * followed by a Newton step on the face of w's support when that lowers F, on K
 * normalised by its mean diagonal (F is scale-covariant, so w is unchanged), with sqrt(wᵀKw + 1e-12)
 * as the authors smooth it. Stops when the Frank–Wolfe gap ∇F·w − min_t ∇F_t (which bounds the
 * suboptimality of the convex F) is below tol. Then d = g0 + (sqrt(φ)/||g_w||) g_w, returned as the
 * coefficients of (d / (1 + c)). c = 0 gives exactly the mean (coefficients 1/T).
 */
export function cagradSolve(K: Gram, c: number, maxIter = CAGRAD_MAX_ITER, tol = CAGRAD_TOL): CagradSolve {
  const T = K.length;
  const b = new Float64Array(T).fill(1 / T);
  const s = gramScale(K);
  const mean = Array.from(b);
  if (c === 0 || !(s > 0)) {
    return { w: b, coeffs: mean.map((v) => v / (1 + c)), gap: 0, iterations: 0, converged: true };
  }
  const Kn = scaleGram(K, s);
  const a = matVec(Kn, b); // ∂(wᵀK b)/∂w
  const r = c * Math.sqrt(Math.max(quadForm(Kn, b), 0));
  const eps = 1e-12;
  const F = (w: ArrayLike<number>) => {
    let lin = 0;
    for (let t = 0; t < T; t++) lin += w[t] * a[t];
    return lin + r * Math.sqrt(Math.max(quadForm(Kn, w), 0) + eps);
  };
  const gradF = (w: ArrayLike<number>) => {
    const Kw = matVec(Kn, w);
    let q = 0;
    for (let t = 0; t < T; t++) q += w[t] * Kw[t];
    const n = Math.sqrt(Math.max(q, 0) + eps);
    const g = new Float64Array(T);
    for (let t = 0; t < T; t++) g[t] = a[t] + (r * Kw[t]) / n;
    return g;
  };
  // A Newton step on the face of the simplex that holds w's support (the Hessian of sqrt(wᵀKw) is
  // r(K/n − KwwᵀK/n³), n = ||g_w||); taken only if it lowers F. Once projected gradient has found the
  // support this converges quadratically, where projected gradient alone is slow on nearly parallel
  // gradients.
  const faceNewton = (w0: Float64Array, f0: number): { w: Float64Array; f: number } | null => {
    const S: number[] = [];
    for (let t = 0; t < T; t++) if (w0[t] > 0) S.push(t);
    const m = S.length;
    if (m < 2) return null;
    const Kw = matVec(Kn, w0);
    let q = 0;
    for (let t = 0; t < T; t++) q += w0[t] * Kw[t];
    const n = Math.sqrt(Math.max(q, 0) + eps);
    const A: number[][] = [];
    const rhs: number[] = [];
    for (let i = 0; i < m; i++) {
      const si = S[i];
      const row = S.map((sj) => r * (Kn[si][sj] / n - (Kw[si] * Kw[sj]) / (n * n * n)) + (si === sj ? 1e-12 : 0));
      row.push(1);
      A.push(row);
      rhs.push(-(a[si] + (r * Kw[si]) / n));
    }
    A.push([...new Array<number>(m).fill(1), 0]);
    rhs.push(0);
    const sol = solveDense(A, rhs);
    if (!sol) return null;
    let tauMax = 1;
    let blocking = -1;
    for (let i = 0; i < m; i++) {
      if (!Number.isFinite(sol[i])) return null;
      if (sol[i] < 0 && -w0[S[i]] / sol[i] < tauMax) {
        tauMax = -w0[S[i]] / sol[i];
        blocking = i;
      }
    }
    let tau = tauMax;
    for (let bt = 0; bt < 30; bt++) {
      const cand = Float64Array.from(w0);
      for (let i = 0; i < m; i++) cand[S[i]] = Math.max(0, w0[S[i]] + tau * sol[i]);
      if (tau === tauMax && blocking >= 0) cand[S[blocking]] = 0;
      let sum = 0;
      for (let t = 0; t < T; t++) sum += cand[t];
      for (let t = 0; t < T; t++) cand[t] /= sum;
      const fc = F(cand);
      if (fc < f0) return { w: cand, f: fc };
      tau *= 0.5;
    }
    return null;
  };
  let w: Float64Array = Float64Array.from(b);
  let fw = F(w);
  let eta = 1;
  let gap = Infinity;
  let it = 0;
  for (;;) {
    const g = gradF(w);
    let gw = 0;
    let gmin = Infinity;
    for (let t = 0; t < T; t++) {
      gw += g[t] * w[t];
      gmin = Math.min(gmin, g[t]);
    }
    gap = gw - gmin;
    if (gap <= tol || it >= maxIter) break;
    it++;
    // Backtracking: accept when F(w⁺) ≤ F(w) + ∇Fᵀ(w⁺−w) + ||w⁺−w||²/(2η).
    let accepted = false;
    for (let bt = 0; bt < 60; bt++) {
      const x = new Float64Array(T);
      for (let t = 0; t < T; t++) x[t] = w[t] - eta * g[t];
      const wn = projectSimplex(x);
      let lin = 0;
      let sq = 0;
      for (let t = 0; t < T; t++) {
        const d = wn[t] - w[t];
        lin += g[t] * d;
        sq += d * d;
      }
      const fn = F(wn);
      if (fn <= fw + lin + sq / (2 * eta) + 1e-15) {
        accepted = sq > 0;
        w = wn;
        fw = fn;
        break;
      }
      eta *= 0.5;
    }
    if (!accepted) break; // no progress possible in floating point
    eta *= 2;
    const polished = faceNewton(w, fw);
    if (polished) {
      w = polished.w;
      fw = polished.f;
    }
  }
  const gwNormSq = quadForm(K, w);
  const g0Norm = Math.sqrt(Math.max(quadForm(K, b), 0));
  const lambda = gwNormSq > 1e-24 * s ? (c * g0Norm) / Math.sqrt(gwNormSq) : 0;
  const coeffs = mean.map((m, t) => (m + lambda * w[t]) / (1 + c));
  return { w, coeffs, gap, iterations: it, converged: gap <= tol };
}

/**
 * grad = (g0 + (sqrt(φ)/||g_w||) g_w) / (1 + c): the 1/(1+c) rescale (one of the rescale options of the
 * authors' code) keeps the scale of the mean at equal weights; c = 0 gives the mean exactly.
 * weights = the effective coefficients of the task gradients; headScale = 1. A solve that stops with
 * its gap above tolerance counts one solver failure (its w, a feasible point, is still used).
 */
export const cagradWeighting: WeightingFactory = (opts) => {
  const c = opts.cagradC;
  if (!(c >= 0)) throw new RangeError(`cagrad: c must be ≥ 0 (got ${c})`);
  const m: GradientWeighting<CagradState> = {
    name: 'cagrad',
    summary: 'CAGrad: maximise the worst task improvement within a ball around the mean gradient (Liu et al., NeurIPS 2021).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const r = cagradSolve(gram(grads), c);
      return {
        grad: linearCombination(grads, r.coeffs),
        headScale: new Array<number>(T).fill(1),
        weights: r.coeffs,
        state,
        solverFailures: r.converged ? 0 : 1,
      };
    },
  };
  return m as GradientWeighting;
};
