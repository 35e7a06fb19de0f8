// UPGrad, unconflicting projection of gradients (Quinton & Rey, "Jacobian Descent for Multi-Objective
// Optimization", arXiv 2406.16232, 2024).
import { checkGrads, gram, linearCombination, matVec, nonNegativeQp, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type UpgradState = null;

/**
 * UPGrad's weights for the Gram matrix K = JJᵀ of the task gradients (the rows of J). K is normalised by
 * its trace (to 0 when the trace is at most normEps) plus regEps·I (TorchJD's and LibMTL's choices, the
 * ridge keeping it positive definite). For each task i, the projection of g_i/T onto the dual cone
 * {d : g_t·d ≥ 0 ∀t} is Jᵀv_i with v_i = argmin_v vᵀKv subject to v ≥ e_i/T (the paper's Proposition 1),
 * solved exactly as a non-negative QP in x = v − e_i/T. Returns Σ_i v_i, and whether every solve met
 * its KKT conditions.
 */
export function upgradWeights(K: Gram, normEps: number, regEps: number): { weights: Float64Array; converged: boolean } {
  const T = K.length;
  let trace = 0;
  for (let t = 0; t < T; t++) trace += K[t][t];
  const G = K.map((row, i) => row.map((v, j) => (trace <= normEps ? 0 : v / trace) + (i === j ? regEps : 0)));
  const weights = new Float64Array(T);
  let converged = true;
  for (let i = 0; i < T; i++) {
    const u = new Float64Array(T);
    u[i] = 1 / T;
    // min (u+x)ᵀG(u+x) over x ≥ 0  ⇔  min ½xᵀ(2G)x + (2Gu)ᵀx.
    const H = G.map((row) => row.map((v) => 2 * v));
    const c = Array.from(matVec(G, u), (v) => 2 * v);
    const r = nonNegativeQp(H, c);
    if (!r.converged) converged = false;
    for (let t = 0; t < T; t++) weights[t] += u[t] + r.x[t];
  }
  return { weights, converged };
}

/**
 * grad = Σ_i π(g_i/T) = Σ_t weights_t g_t: the mean of the task gradients each projected onto the dual
 * cone, so it conflicts with no task (g_t·grad ≥ 0, up to the ridge regEps), and equals the mean when no
 * two gradients conflict. TorchJD's UPGrad sums the projections of g_i with uniform preference 1/T,
 * which is the same thing. headScale = 1. upgradRegEps = 1e-4 (TorchJD's and LibMTL's default).
 * upgradNormEps = 0, not their 1e-4: the trace is an absolute squared gradient norm, and with a floor of
 * 1e-4 small gradients (late in training, or a small network) would silently turn UPGrad into the mean;
 * the Gram is accumulated in float64, so only an exactly zero trace needs the floor. A QP that fails its
 * KKT check counts one solver failure (its feasible weights are used).
 */
export const upgradWeighting: WeightingFactory = (opts) => {
  const normEps = opts.upgradNormEps;
  const regEps = opts.upgradRegEps;
  if (!(normEps >= 0)) throw new RangeError(`upgrad: norm eps must be ≥ 0 (got ${normEps})`);
  if (!(regEps >= 0)) throw new RangeError(`upgrad: reg eps must be ≥ 0 (got ${regEps})`);
  const m: GradientWeighting<UpgradState> = {
    name: 'upgrad',
    summary: 'UPGrad: average of the task gradients each projected onto the dual cone of all of them (Quinton & Rey, 2024).',
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const r = upgradWeights(gram(grads), normEps, regEps);
      const weights = Array.from(r.weights);
      return { grad: linearCombination(grads, weights), headScale: new Array<number>(T).fill(1), weights, state, solverFailures: r.converged ? 0 : 1 };
    },
  };
  return m as GradientWeighting;
};
