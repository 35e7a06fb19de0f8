// MoCo (Fernando et al., "Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent
// Approach", ICLR 2023).
import { checkGrads, gram, gramScale, linearCombination, matVec, projectSimplex } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface MocoState {
  /** Calls so far. */
  step: number;
  /** The tracked gradients y_t (null before the first call). */
  y: Float32Array[] | null;
  /** The weights λ on the simplex (init 1/T). */
  lambda: number[];
}

/**
 * MoCo's tracking update at call k (k ≥ 1): y_t ← y_t − β_k (y_t − g_t), β_k = β/k^σβ; on the first call
 * y_t = g_t (the tracking starts from the first gradient rather than from 0). A new array per task.
 */
export function mocoTrack(y: Float32Array[] | null, grads: Float32Array[], betaK: number): Float32Array[] {
  return grads.map((g, t) => {
    const prev = y?.[t];
    if (!prev) return Float32Array.from(g);
    const out = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) out[i] = prev[i] - betaK * (prev[i] - g[i]);
    return out;
  });
}

/**
 * After tracking, λ ← Π_Δ(λ − γ_k (YYᵀ/s + ρI) λ), γ_k = γ/k^σγ, Π_Δ the projection onto the simplex (the
 * paper's update; LibMTL, after the authors' shared code, takes a softmax of that vector instead), and
 * grad = Σ_t λ_t y_t. Unlike LibMTL, which rescales each gradient to norm L_t before tracking, fsmtl
 * tracks the raw gradients (so T equal gradients give that gradient back, the EW scale) and makes the λ
 * step scale-free by dividing YYᵀ by its mean diagonal s instead. linearInGrads is false: grad is
 * built from the tracked y_t; `weights` are λ, their coefficients. headScale = 1 (the heads get their
 * own loss gradients, as in LibMTL). Defaults β = 0.5, σβ = 0.5, γ = 0.1, σγ = 0.5, ρ = 0: LibMTL's.
 */
export const mocoWeighting: WeightingFactory = (opts) => {
  const { mocoBeta: beta, mocoBetaSigma: betaSigma, mocoGamma: gamma, mocoGammaSigma: gammaSigma, mocoRho: rho } = opts;
  if (!(beta > 0 && beta <= 1)) throw new RangeError(`moco: beta must be in (0, 1] (got ${beta})`);
  if (!(gamma > 0)) throw new RangeError(`moco: gamma must be > 0 (got ${gamma})`);
  if (!(betaSigma >= 0 && gammaSigma >= 0)) throw new RangeError('moco: the decay exponents must be ≥ 0');
  if (!(rho >= 0)) throw new RangeError(`moco: rho must be ≥ 0 (got ${rho})`);
  const m: GradientWeighting<MocoState> = {
    name: 'moco',
    summary: 'MoCo: track each task gradient with a moving average, weight them by a min-norm step on the simplex (Fernando et al., ICLR 2023).',
    linearInGrads: false,
    init: (T) => ({ step: 0, y: null, lambda: new Array<number>(T).fill(1 / T) }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const step = state.step + 1;
      const y = mocoTrack(state.y, grads, beta / step ** betaSigma);
      const K = gram(y);
      const s = gramScale(K);
      let lambda = state.lambda;
      if (s > 0 && Number.isFinite(s)) {
        const Kn = K.map((row, i) => row.map((v, j) => v / s + (i === j ? rho : 0)));
        const Kl = matVec(Kn, lambda);
        const gk = gamma / step ** gammaSigma;
        lambda = Array.from(projectSimplex(lambda.map((l, t) => l - gk * Kl[t])));
      }
      return { grad: linearCombination(y, lambda), headScale: new Array<number>(T).fill(1), weights: lambda.slice(), state: { step, y, lambda }, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
