// CAGrad (Liu et al., "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS 2021).
import { checkGrads, gram, gramScale, linearCombination, matVec, projectSimplex, quadForm, scaleGram, solveDense, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type CagradState = null;

export interface CagradSolve {
  /** w on the simplex minimising g_wᵀg0 + c·||g0||·||g_w||. */
  w: Float64Array;
  /** Effective coefficients of the task gradients in the returned direction d/(1+c). */
  coeffs: number[];
  /**
   * Duality gap of the returned d: CAGrad's best worst-task improvement max_d' min_t g_tᵀd' minus
   * min_t g_tᵀd (≥ 0), relative to the mean squared gradient norm.
   */
  gap: number;
  iterations: number;
  converged: boolean;
}

export const CAGRAD_MAX_ITER = 2000;
export const CAGRAD_TOL = 1e-7;

/**
 * Solves CAGrad's T-dimensional dual on the Gram matrix K:
 *   w = argmin_{w ∈ simplex} F(w) = wᵀK b + c·sqrt(bᵀKb)·sqrt(wᵀKw),  b = (1/T, …, 1/T)
 * (g_wᵀg0 + sqrt(φ)||g_w||, φ = c²||g0||²) on K normalised by its mean diagonal (F is
 * scale-covariant, so w is unchanged), and returns d = g0 + λ g_w as the coefficients of d/(1+c).
 *
 * F is not differentiable where g_w = 0 (0 in the hull of the gradients), so it is minimised through
 * F_ε, with sqrt(wᵀKw + ε) for ||g_w||: Newton steps on the face of w's support (tried first with the
 * Frank–Wolfe vertex added), projected gradient with backtracking when Newton cannot lower F_ε. The
 * smoothing is ours: the authors' code adds 1e-8 to wᵀKw of the raw Gram matrix, which changes the
 * problem by an amount that depends on the gradients' scale, and so did a fixed ε here: with gradient
 * norms 1e6 apart, ||g_w||² at the optimum is of the order of any fixed ε and F_ε has another minimiser.
 * Instead λ = sqrt(φ)/sqrt(||g_w||² + ε) keeps d in CAGrad's ball ||d − g0|| ≤ sqrt(φ), so that
 * min_t g_tᵀd = min_t ∇F_ε(w)_t and F(w) − min_t ∇F_ε(w)_t (the unsmoothed F) is a duality gap: it
 * bounds how far d's worst-task improvement is from CAGrad's optimum, whatever ε. ε starts at 1e-12
 * and shrinks, by what the current ||g_w|| says the smoothing costs, until that gap is at most
 * tol·min_t ||g_t||·||g0||, the scale of the smallest task's own improvements, or what double
 * precision resolves at w (near g_w = 0, where wᵀKw itself is rounding, ε stops at 1e4 times its
 * rounding and the smoothing's cost there counts as resolved). The best point seen by that gap is
 * returned; `converged` says whether its gap met the bound. c = 0 (or g0 = 0) gives exactly the mean
 * (coefficients 1/T).
 */
export function cagradSolve(K: Gram, c: number, maxIter = CAGRAD_MAX_ITER, tol = CAGRAD_TOL): CagradSolve {
  const T = K.length;
  const b = new Float64Array(T).fill(1 / T);
  const s = gramScale(K);
  const mean = Array.from(b);
  const meanResult = { w: b, coeffs: mean.map((v) => v / (1 + c)), gap: 0, iterations: 0, converged: true };
  if (c === 0 || !(s > 0)) return meanResult;
  const Kn = scaleGram(K, s);
  const a = matVec(Kn, b); // ∂(wᵀK b)/∂w
  const g0n = Math.sqrt(Math.max(quadForm(Kn, b), 0));
  const r = c * g0n;
  if (!(r > 0)) return meanResult; // g0 = 0: F ≡ 0 and d = g0
  let nMin = Infinity;
  let nMax = 0;
  for (let t = 0; t < T; t++) {
    const n = Math.sqrt(Math.max(Kn[t][t], 0));
    if (n > 0) nMin = Math.min(nMin, n);
    nMax = Math.max(nMax, n);
  }
  // Gap threshold on the scale of the smallest task's improvements (`resolution` floors it).
  const thresh = tol * nMin * g0n;
  const slack = 1e-15 * nMax * g0n; // rounding allowance in the backtracking test
  const norm = (q: number, eps: number) => Math.sqrt(Math.max(q, 0) + eps);
  const Fe = (w: ArrayLike<number>, eps: number) => {
    let lin = 0;
    for (let t = 0; t < T; t++) lin += w[t] * a[t];
    return lin + r * norm(quadForm(Kn, w), eps);
  };
  // ∇F_ε; where g_w = 0 and ε = 0 the zero subgradient of ||g_w|| (d = g0).
  const gradFe = (w: ArrayLike<number>, eps: number) => {
    const Kw = matVec(Kn, w);
    let q = 0;
    for (let t = 0; t < T; t++) q += w[t] * Kw[t];
    const n = norm(q, eps);
    const g = new Float64Array(T);
    for (let t = 0; t < T; t++) g[t] = a[t] + (n > 0 ? (r * Kw[t]) / n : 0);
    return g;
  };
  // A Newton step on the face of the simplex spanned by S (the Hessian of r·sqrt(wᵀKw + ε) is
  // r(K/n − KwwᵀK/n³), n = sqrt(wᵀKw + ε)); taken only if it lowers F_ε. Newton is invariant to the
  // gradients' scales and converges quadratically once S is the optimum's support, where projected
  // gradient alone is slow on nearly parallel or badly scaled gradients.
  const faceNewton = (w0: Float64Array, f0: number, eps: number, S: number[]): { w: Float64Array; f: number } | null => {
    const m = S.length;
    if (m < 2) return null;
    const Kw = matVec(Kn, w0);
    let q = 0;
    for (let t = 0; t < T; t++) q += w0[t] * Kw[t];
    const n = norm(q, eps);
    if (!(n > 0)) return null;
    const A: number[][] = [];
    const rhs: number[] = [];
    for (let i = 0; i < m; i++) {
      const si = S[i];
      // The relative ridge keeps the system solvable for dependent gradients without dwarfing small tasks.
      const row = S.map((sj) => {
        const h = r * (Kn[si][sj] / n - (Kw[si] * Kw[sj]) / (n * n * n));
        return si === sj ? h * (1 + 1e-12) : h;
      });
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
      if (sol[i] < 0 && w0[S[i]] === 0) return null; // an entering index that wants to stay out
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
      const fc = Fe(cand, eps);
      if (fc < f0) return { w: cand, f: fc };
      tau *= 0.5;
    }
    return null;
  };
  // What double precision resolves at w: δq bounds the rounding of wᵀKw (its terms can cancel, and
  // near g_w = 0 that limits the smoothing that means anything); the gap is resolved to about the
  // rounding of F and of min_t ∇F_ε.
  const ROUND = 4 * T * Number.EPSILON;
  const resolution = (w: ArrayLike<number>, eps: number) => {
    let absQ = 0;
    let absLin = 0;
    let absKw = 0;
    for (let i = 0; i < T; i++) {
      absLin += Math.abs(w[i] * a[i]);
      let row = 0;
      for (let j = 0; j < T; j++) row += Math.abs(Kn[i][j] * w[j]);
      absQ += Math.abs(w[i]) * row;
      absKw = Math.max(absKw, row);
    }
    const dq = ROUND * absQ;
    const q = Math.max(quadForm(Kn, w), 0);
    const n = norm(q, eps);
    const dF = ROUND * absLin + r * (norm(q + dq, eps) - norm(q - dq, eps));
    const dG = ROUND * (Math.max(...Array.from(a, Math.abs)) + (n > 0 ? (r * absKw) / n : 0));
    return { dq, dGap: dF + dG };
  };
  /** min_t g_tᵀd and the Frank–Wolfe gap of F_ε at w (d built with the same ε). */
  const measure = (w: ArrayLike<number>, eps: number) => {
    const g = gradFe(w, eps);
    let gw = 0;
    let gmin = Infinity;
    for (let t = 0; t < T; t++) {
      gw += g[t] * w[t];
      gmin = Math.min(gmin, g[t]);
    }
    return { g, gmin, fwGap: gw - gmin };
  };
  // ε is kept ≥ 1e4·δq, where F_ε and its gradient are still computed to a few digits; at that floor
  // (reached only near g_w = 0) what the smoothing costs, r(||g_w|| − ||g_w||²/sqrt(||g_w||² + ε)), is
  // part of what can be resolved.
  const assess = (w: Float64Array, eps: number) => {
    const { gmin, fwGap } = measure(w, eps);
    const gap = Fe(w, 0) - gmin; // the duality gap of d: F(w) (unsmoothed) − min_t g_tᵀd
    const res = resolution(w, eps);
    const q = Math.max(quadForm(Kn, w), 0);
    const floor = 1e4 * res.dq;
    const target = Math.max(thresh, 2 * res.dGap);
    const allowed = target + (eps <= 1.01 * floor ? r * (Math.sqrt(q) - q / norm(q, eps)) : 0);
    return { w, eps, gap, fwGap, target, allowed, q, floor };
  };
  let w: Float64Array = Float64Array.from(b);
  let eps = 1e-12;
  let cur = assess(w, eps);
  // The returned point is the best seen by its certified gap: near g_w = 0 rounding can make later
  // iterates of F_ε worse.
  let best = cur;
  let it = 0;
  for (let round = 0; round < 20; round++) {
    // Minimise F_ε from the current w until its own gap is under half the target.
    let fw = Fe(w, eps);
    let eta = 1;
    while (cur.fwGap > cur.target / 2 && best.gap > best.allowed && it < maxIter) {
      it++;
      const g = gradFe(w, eps);
      // Newton on the support, first with the Frank–Wolfe vertex added when it lies outside (how the
      // support grows without waiting for projected gradient).
      const S: number[] = [];
      let j = 0;
      for (let t = 0; t < T; t++) {
        if (w[t] > 0) S.push(t);
        if (g[t] < g[j]) j = t;
      }
      const faces = w[j] > 0 ? [S] : [[...S, j], S];
      let polished: { w: Float64Array; f: number } | null = null;
      for (const face of faces) if (!polished) polished = faceNewton(w, fw, eps, face);
      let moved = polished !== null;
      if (polished) {
        w = polished.w;
        fw = polished.f;
      } else {
        // Backtracking: accept when F(w⁺) ≤ F(w) + ∇Fᵀ(w⁺−w) + ||w⁺−w||²/(2η).
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
          const fn = Fe(wn, eps);
          if (fn <= fw + lin + sq / (2 * eta) + slack) {
            moved = sq > 0;
            w = wn;
            fw = fn;
            break;
          }
          eta *= 0.5;
        }
        eta *= 2;
      }
      if (!moved) break; // no progress possible in floating point
      cur = assess(w, eps);
      if (cur.gap / cur.allowed < best.gap / best.allowed) best = cur;
    }
    if (best.gap <= best.allowed || it >= maxIter) break;
    // The smoothing's share of the gap is ≈ rε/(2||g_w||) when ε ≪ ||g_w||².
    const next = Math.max(Math.min(eps * 1e-4, (thresh * Math.sqrt(cur.q)) / r), cur.floor);
    if (!(next < eps)) break;
    eps = next;
    cur = assess(w, eps);
    if (cur.gap / cur.allowed < best.gap / best.allowed) best = cur;
  }
  const n = norm(best.q, best.eps);
  const lambda = n > 0 ? r / n : 0; // = c||g0|| / sqrt(||g_w||² + ε·s) in the unnormalised K
  const coeffs = mean.map((m, t) => (m + lambda * best.w[t]) / (1 + c));
  return { w: best.w, coeffs, gap: best.gap, iterations: it, converged: best.gap <= best.allowed };
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
