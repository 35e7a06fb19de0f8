// Aligned-MTL (Senushkin et al., "Independent Component Alignment for Multi-Task Learning", CVPR 2023).
import { checkGrads, gram, linearCombination, symmetricEigen, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type AlignedMtlState = null;

/** Eigenvalues below λ_max·T·FLOAT32_EPS count as zero (the rank cut of the authors' and LibMTL's code). */
const FLOAT32_EPS = 1.1920928955078125e-7;

/**
 * The alignment matrix B for the Gram matrix K = GᵀG of the task gradients G = [g_1 … g_T]:
 * with K = VΛVᵀ truncated to its rank r, B = sqrt(λ_r) V Λ^{-1/2} Vᵀ, so that the aligned gradients GB
 * have the Gram BᵀKB = λ_r V Vᵀ — λ_r·I at full rank: orthogonal, all of norm sqrt(λ_r) (the smallest
 * singular value of G). Returns null for K = 0.
 */
export function alignedMtlMatrix(K: Gram): Float64Array[] | null {
  const T = K.length;
  const { values, vectors } = symmetricEigen(K);
  const tol = values[0] * T * FLOAT32_EPS;
  let r = 0;
  while (r < T && values[r] > tol) r++;
  if (r === 0) return null;
  const lmin = values[r - 1];
  const B: Float64Array[] = [];
  for (let i = 0; i < T; i++) {
    const row = new Float64Array(T);
    for (let j = 0; j < T; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += (vectors[i][k] * vectors[j][k]) / Math.sqrt(values[k]);
      row[j] = Math.sqrt(lmin) * s;
    }
    B.push(row);
  }
  return B;
}

/**
 * grad = (1/T) Σ_t (GB)_t = Σ_t α_t g_t with α = B·1/T: the authors' code and LibMTL sum the aligned
 * gradients; the 1/T keeps the EW scale (orthogonal gradients of equal norm, and T copies of one
 * gradient, give the mean). weights = α; headScale = 1. On the shared parameters' gradients (the paper
 * also has a variant on the shared representation's). All-zero gradients give weights 1/T.
 */
export const alignedMtlWeighting: WeightingFactory = () => {
  const m: GradientWeighting<AlignedMtlState> = {
    name: 'aligned-mtl',
    summary: 'Aligned-MTL: align the task gradients to an orthogonal, equal-norm system, then sum (Senushkin et al., CVPR 2023).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const B = alignedMtlMatrix(gram(grads));
      const weights = B ? B.map((row) => row.reduce((a, b) => a + b, 0) / T) : new Array<number>(T).fill(1 / T);
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
