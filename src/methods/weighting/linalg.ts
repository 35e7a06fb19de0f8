// Small linear algebra for the weighting methods: float64-accumulated dot products over long float32
// vectors, the T×T Gram matrix, linear combinations, and dense solvers on T-dimensional problems.
// T (the number of tasks) is small (2–8), P (the vector length) large (up to ~10^6).

/** Dense symmetric T×T matrix, row-major. */
export type Gram = Float64Array[];

/** Σ a[i]·b[i] over [start, end), accumulated in float64. */
export function dot(a: Float32Array, b: Float32Array, start = 0, end = a.length): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < end; i++) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}

/** Euclidean norm over [start, end), float64 accumulation. */
export function norm(a: Float32Array, start = 0, end = a.length): number {
  return Math.sqrt(dot(a, a, start, end));
}

const BLOCK = 4096;

/**
 * The Gram matrix K[s][t] = g_s·g_t, float64 accumulation. Works block by block so that the T blocks
 * stay in cache while all T(T+1)/2 products are taken.
 */
export function gram(grads: Float32Array[]): Gram {
  const T = grads.length;
  const P = T > 0 ? grads[0].length : 0;
  const K: Gram = [];
  for (let s = 0; s < T; s++) K.push(new Float64Array(T));
  for (let b = 0; b < P; b += BLOCK) {
    const e = Math.min(P, b + BLOCK);
    for (let s = 0; s < T; s++) {
      for (let t = s; t < T; t++) K[s][t] += dot(grads[s], grads[t], b, e);
    }
  }
  for (let s = 0; s < T; s++) for (let t = 0; t < s; t++) K[s][t] = K[t][s];
  return K;
}

/** out[i] = Σ_t coeffs[t]·grads[t][i], summed in float64 per element; a new Float32Array. */
export function linearCombination(grads: Float32Array[], coeffs: ArrayLike<number>): Float32Array {
  const T = grads.length;
  if (T === 0) throw new RangeError('linearCombination: no vectors');
  const P = grads[0].length;
  const out = new Float32Array(P);
  if (T === 2) {
    const [a, b] = grads;
    const ca = coeffs[0];
    const cb = coeffs[1];
    for (let i = 0; i < P; i++) out[i] = ca * a[i] + cb * b[i];
  } else if (T === 3) {
    const [a, b, c] = grads;
    const ca = coeffs[0];
    const cb = coeffs[1];
    const cc = coeffs[2];
    for (let i = 0; i < P; i++) out[i] = ca * a[i] + cb * b[i] + cc * c[i];
  } else if (T === 4) {
    const [a, b, c, d] = grads;
    const ca = coeffs[0];
    const cb = coeffs[1];
    const cc = coeffs[2];
    const cd = coeffs[3];
    for (let i = 0; i < P; i++) out[i] = ca * a[i] + cb * b[i] + cc * c[i] + cd * d[i];
  } else {
    const acc = new Float64Array(P);
    for (let t = 0; t < T; t++) {
      const g = grads[t];
      const c = coeffs[t];
      if (c === 0) continue;
      for (let i = 0; i < P; i++) acc[i] += c * g[i];
    }
    out.set(acc);
  }
  return out;
}

/** Checks the shape of a combine() input: T ≥ 1 vectors of one length, T losses. */
export function checkGrads(grads: Float32Array[], losses?: number[]): void {
  if (grads.length === 0) throw new RangeError('weighting: no task gradients');
  const P = grads[0].length;
  for (const g of grads) {
    if (g.length !== P) throw new RangeError(`weighting: gradient lengths differ (${g.length} vs ${P})`);
  }
  if (losses && losses.length !== grads.length) {
    throw new RangeError(`weighting: ${losses.length} losses for ${grads.length} gradients`);
  }
}

/** K·x. */
export function matVec(K: Gram, x: ArrayLike<number>): Float64Array {
  const T = K.length;
  const y = new Float64Array(T);
  for (let s = 0; s < T; s++) {
    let acc = 0;
    for (let t = 0; t < T; t++) acc += K[s][t] * x[t];
    y[s] = acc;
  }
  return y;
}

/** xᵀKx. */
export function quadForm(K: Gram, x: ArrayLike<number>): number {
  const y = matVec(K, x);
  let s = 0;
  for (let t = 0; t < K.length; t++) s += x[t] * y[t];
  return s;
}

/** Mean of the diagonal (the mean squared gradient norm); the natural scale of K. */
export function gramScale(K: Gram): number {
  let s = 0;
  for (let t = 0; t < K.length; t++) s += K[t][t];
  return s / K.length;
}

/** K / s, a copy. */
export function scaleGram(K: Gram, s: number): Gram {
  return K.map((row) => row.map((v) => v / s));
}

/**
 * Solves A x = b for a small dense A (copied) by Gaussian elimination with partial pivoting.
 * Returns null when A is singular to working precision.
 */
export function solveDense(A: ArrayLike<number>[], b: ArrayLike<number>): Float64Array | null {
  const n = b.length;
  const M = A.map((row) => Float64Array.from(row));
  const x = Float64Array.from(b);
  let maxAbs = 0;
  for (const row of M) for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
  const tiny = maxAbs * n * 1e-14;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i][k]) > Math.abs(M[p][k])) p = i;
    if (!(Math.abs(M[p][k]) > tiny)) return null;
    if (p !== k) {
      [M[p], M[k]] = [M[k], M[p]];
      [x[p], x[k]] = [x[k], x[p]];
    }
    for (let i = k + 1; i < n; i++) {
      const f = M[i][k] / M[k][k];
      if (f === 0) continue;
      for (let j = k; j < n; j++) M[i][j] -= f * M[k][j];
      x[i] -= f * x[k];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k];
    for (let j = k + 1; j < n; j++) s -= M[k][j] * x[j];
    x[k] = s / M[k][k];
  }
  return x;
}

/** Euclidean projection of v onto the probability simplex {w ≥ 0, Σ w = 1} (sort-based). */
export function projectSimplex(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const u = Array.from(v).sort((a, b) => b - a);
  let css = 0;
  let theta = 0;
  for (let i = 0; i < n; i++) {
    css += u[i];
    const th = (css - 1) / (i + 1);
    if (u[i] - th > 0) theta = th;
  }
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = Math.max(v[i] - theta, 0);
  return w;
}

/**
 * Min-norm point of the segment between two vectors given v11 = a·a, v12 = a·b, v22 = b·b:
 * returns γ ∈ [0, 1] minimising ||γa + (1−γ)b||² (Sener & Koltun's `_min_norm_element_from2`).
 */
export function minNorm2(v11: number, v12: number, v22: number): number {
  const den = v11 + v22 - 2 * v12;
  if (!(den > 0)) return v11 <= v22 ? 1 : 0;
  const g = (v22 - v12) / den;
  return Math.min(1, Math.max(0, g));
}

export interface MinNormResult {
  /** Weights on the simplex. */
  alpha: Float64Array;
  /** ||Σ α_t g_t||² = αᵀKα. */
  normSq: number;
  /** Frank–Wolfe duality gap αᵀKα − min_t (Kα)_t at the returned point (≥ 0; 0 at the optimum). */
  gap: number;
  iterations: number;
  converged: boolean;
}

/**
 * The min-norm element of the convex hull of T vectors, from their Gram matrix K:
 * α = argmin_{α ∈ simplex} αᵀKα (the MGDA direction of Sener & Koltun 2018).
 *
 * Frank–Wolfe with exact line search: each step moves along the segment between the current point
 * Gα and one vertex g_t, to the segment's min-norm point (the 2-vector closed form). Plain FW (the
 * paper's solver) only converges sublinearly when the optimum lies on a face of the simplex, so away
 * steps are added (Guélat & Marcotte 1986; Lacoste-Julien & Jaggi 2015): the same exact line search
 * along the direction away from the worst vertex in the support; and after every step α is moved to the
 * min-norm point of its support's affine hull where that is feasible (Wolfe's minor cycle, see
 * polishOnSupport), so the solve is exact once the support is found (ill-conditioned, nearly parallel
 * gradients otherwise take FW thousands of steps).
 * Starts at the uniform weights. Stops when the FW gap, which bounds the suboptimality, is ≤
 * tol·scale (scale = max diagonal of K); `converged` is false when maxIter is hit first.
 */
export function minNormElement(K: Gram, maxIter = 1000, tol = 1e-10): MinNormResult {
  const T = K.length;
  const alpha = new Float64Array(T).fill(1 / T);
  let scale = 0;
  for (let t = 0; t < T; t++) scale = Math.max(scale, K[t][t]);
  if (!(scale > 0) || T === 1) {
    // All vectors are zero (or one vector): every point of the hull has the same norm.
    return { alpha, normSq: scale > 0 ? K[0][0] : 0, gap: 0, iterations: 0, converged: true };
  }
  const thresh = tol * scale;
  let Ka = matVec(K, alpha);
  let it = 0;
  let gap = Infinity;
  let aKa = 0;
  for (;;) {
    aKa = 0;
    for (let t = 0; t < T; t++) aKa += alpha[t] * Ka[t];
    // FW vertex: smallest (Kα)_t; away vertex: largest (Kα)_t over the support.
    let s = 0;
    let v = -1;
    for (let t = 0; t < T; t++) {
      if (Ka[t] < Ka[s]) s = t;
      if (alpha[t] > 0 && (v < 0 || Ka[t] > Ka[v])) v = t;
    }
    gap = aKa - Ka[s];
    if (gap <= thresh || it >= maxIter) break;
    it++;
    const gapAway = Ka[v] - aKa;
    // Direction d (in α-space) and the largest feasible step.
    const d = new Float64Array(T);
    let gmax: number;
    const away = !(gap >= gapAway || alpha[v] >= 1);
    if (!away) {
      for (let t = 0; t < T; t++) d[t] = -alpha[t];
      d[s] += 1;
      gmax = 1;
    } else {
      for (let t = 0; t < T; t++) d[t] = alpha[t];
      d[v] -= 1;
      gmax = alpha[v] / (1 - alpha[v]);
    }
    // Exact line search of f(α + γd) = αKα + 2γ dᵀKα + γ² dᵀKd on [0, gmax].
    const Kd = matVec(K, d);
    let dKa = 0;
    let dKd = 0;
    for (let t = 0; t < T; t++) {
      dKa += d[t] * Ka[t];
      dKd += d[t] * Kd[t];
    }
    let gamma = dKd > 0 ? -dKa / dKd : gmax;
    if (!(gamma >= 0)) gamma = 0;
    if (gamma > gmax) gamma = gmax;
    if (gamma === 0) break; // no descent possible in floating point
    for (let t = 0; t < T; t++) {
      alpha[t] += gamma * d[t];
      if (alpha[t] < 1e-15) alpha[t] = 0;
    }
    if (away && gamma === gmax) alpha[v] = 0; // drop step: v leaves the support
    let sum = 0;
    for (let t = 0; t < T; t++) sum += alpha[t];
    for (let t = 0; t < T; t++) alpha[t] /= sum;
    polishOnSupport(K, alpha);
    Ka = matVec(K, alpha);
  }
  return { alpha, normSq: Math.max(aKa, 0), gap, iterations: it, converged: gap <= thresh };
}

/**
 * Wolfe's "minor cycle" (Wolfe 1976, the min-norm-point algorithm): moves α (in place) toward the
 * min-norm point of the affine hull of its support S, found from the bordered KKT system
 * [K_SS 1; 1ᵀ 0][β; −μ] = [0; 1]. If β ≥ 0 the move is complete; otherwise α goes as far as stays
 * feasible, the coordinate that reaches 0 leaves S, and the cycle repeats. f = αᵀKα never increases
 * (f is convex and β minimises it on the affine hull). Skipped when the support's vectors are affinely
 * dependent (singular system). This makes the Frank–Wolfe loop exact once it has found the support.
 */
function polishOnSupport(K: Gram, alpha: Float64Array): void {
  const T = K.length;
  for (let cycle = 0; cycle < T; cycle++) {
    const S: number[] = [];
    for (let t = 0; t < T; t++) if (alpha[t] > 0) S.push(t);
    const n = S.length;
    if (n < 2) return;
    const A: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row = S.map((j) => K[S[i]][j]);
      row.push(1);
      A.push(row);
    }
    A.push([...new Array<number>(n).fill(1), 0]);
    const rhs = new Array<number>(n + 1).fill(0);
    rhs[n] = 1;
    const sol = solveDense(A, rhs);
    if (!sol) return;
    let theta = 1;
    let leaving = -1;
    for (let i = 0; i < n; i++) {
      const a = alpha[S[i]];
      const b = sol[i];
      if (!Number.isFinite(b)) return;
      if (b < 0) {
        const th = a / (a - b);
        if (th < theta) {
          theta = th;
          leaving = i;
        }
      }
    }
    const before = quadForm(K, alpha);
    const next = Float64Array.from(alpha);
    for (let i = 0; i < n; i++) next[S[i]] = Math.max(0, (1 - theta) * alpha[S[i]] + theta * sol[i]);
    if (leaving >= 0) next[S[leaving]] = 0;
    let sum = 0;
    for (let t = 0; t < T; t++) sum += next[t];
    for (let t = 0; t < T; t++) next[t] /= sum;
    if (!(quadForm(K, next) <= before)) return; // rounding: keep the FW iterate
    alpha.set(next);
    if (leaving < 0) return;
  }
}

/** Softmax of a vector (max-shifted). */
export function softmax(z: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i]);
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (exact to rounding for the
 * T×T Gram matrices here). Returns the eigenvalues in descending order and the matching unit
 * eigenvectors as the COLUMNS of `vectors` (vectors[i][k] is component i of eigenvector k).
 */
export function symmetricEigen(K: Gram): { values: Float64Array; vectors: Float64Array[] } {
  const n = K.length;
  const A = K.map((row) => Float64Array.from(row));
  const V: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = new Float64Array(n);
    r[i] = 1;
    V.push(r);
  }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += A[i][j] * A[i][j];
        if (i !== j) off += A[i][j] * A[i][j];
      }
    }
    if (!(off > 1e-30 * total)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p][q];
        if (apq === 0) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k][p];
          const akq = A[k][q];
          A[k][p] = c * akp - s * akq;
          A[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p][k];
          const aqk = A[q][k];
          A[p][k] = c * apk - s * aqk;
          A[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p];
          const vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => A[b][b] - A[a][a]);
  const values = Float64Array.from(order, (i) => A[i][i]);
  const vectors = V.map((row) => Float64Array.from(order, (i) => row[i]));
  return { values, vectors };
}

/**
 * min ½xᵀHx + cᵀx subject to x ≥ 0, for a small symmetric positive definite H: the active-set method of
 * Lawson & Hanson's NNLS carried over to a quadratic objective (exact once the active set is found).
 * Returns x and whether the KKT conditions hold to a relative tolerance at the end.
 */
export function nonNegativeQp(H: Gram, c: ArrayLike<number>, maxIter = 200): { x: Float64Array; converged: boolean } {
  const n = c.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(H[i][i]), Math.abs(c[i]));
  const x = new Float64Array(n);
  if (!(scale > 0)) return { x, converged: true };
  const tol = 1e-12 * scale;
  const free = new Array<boolean>(n).fill(false);
  // Negative gradient −(Hx + c): a bound variable with a positive entry wants to grow.
  const negGrad = () => {
    const Hx = matVec(H, x);
    return Array.from(Hx, (v, i) => -(v + c[i]));
  };
  // The unconstrained minimiser over the free variables, the others held at 0.
  const solveFree = (): Float64Array | null => {
    const F: number[] = [];
    for (let i = 0; i < n; i++) if (free[i]) F.push(i);
    const sol = solveDense(
      F.map((i) => F.map((j) => H[i][j])),
      F.map((i) => -c[i]),
    );
    if (!sol) return null;
    const z = new Float64Array(n);
    F.forEach((i, k) => (z[i] = sol[k]));
    return z;
  };
  let it = 0;
  for (;;) {
    const w = negGrad();
    let j = -1;
    for (let i = 0; i < n; i++) if (!free[i] && w[i] > tol && (j < 0 || w[i] > w[j])) j = i;
    if (j < 0 || it >= maxIter) break;
    free[j] = true;
    for (;;) {
      it++;
      const z = solveFree();
      if (!z) return { x, converged: false };
      let alpha = 1;
      let blocked = false;
      for (let i = 0; i < n; i++) {
        if (free[i] && z[i] <= 0) {
          blocked = true;
          const a = x[i] / (x[i] - z[i]);
          if (a < alpha) alpha = a;
        }
      }
      if (!blocked) {
        x.set(z);
        break;
      }
      for (let i = 0; i < n; i++) {
        x[i] += alpha * (z[i] - x[i]);
        if (free[i] && x[i] <= 1e-15 * scale) {
          free[i] = false;
          x[i] = 0;
        }
      }
      if (it >= maxIter) break;
    }
  }
  const w = negGrad();
  let ok = true;
  for (let i = 0; i < n; i++) {
    if (x[i] < 0) ok = false;
    if (x[i] > 0 && Math.abs(w[i]) > 1e-9 * scale) ok = false;
    if (x[i] === 0 && w[i] > 1e-9 * scale) ok = false;
  }
  return { x, converged: ok };
}
