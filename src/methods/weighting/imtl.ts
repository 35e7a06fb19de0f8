// IMTL (Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021): the hybrid of IMTL-G (the
// shared gradient has equal projections on every task's unit gradient) and IMTL-L (learned loss scales).
import { checkGrads, gram, linearCombination, solveDense, type Gram } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface ImtlState {
  /** IMTL-L's log loss scales s_t (init 0): task t's loss enters as e^{s_t} L_t − s_t. */
  logScale: number[];
}

/** Plain SGD learning rate of the log loss scales (as UW's log-variances in fsmtl; fixed, not an option). */
export const IMTL_LR = 0.01;
/** s_t is kept in [−IMTL_SCALE_BOUND, IMTL_SCALE_BOUND]. */
export const IMTL_SCALE_BOUND = 10;

/**
 * IMTL-G's weights for the Gram matrix K of the (scaled) task gradients: α with Σα = 1 such that
 * g = Σ α_t g_t has g·u_1 = g·u_t for all t, u_t = g_t/||g_t||, i.e. the T×T linear system
 * Σ_k α_k (K[k][0]/n_0 − K[k][t]/n_t) = 0 (t ≥ 1), Σ α_k = 1. The paper's closed form
 * α_{2:T} = g_1 Uᵀ (D Uᵀ)⁻¹ solves the same system. Returns null when it is singular (a zero gradient,
 * or gradients that are linearly dependent).
 */
export function imtlAlpha(K: Gram): Float64Array | null {
  const T = K.length;
  const n = Array.from({ length: T }, (_, t) => Math.sqrt(Math.max(K[t][t], 0)));
  if (n.some((v) => !(v > 0))) return null;
  const A: number[][] = [];
  const b: number[] = [];
  for (let t = 1; t < T; t++) {
    A.push(Array.from({ length: T }, (_, k) => K[k][0] / n[0] - K[k][t] / n[t]));
    b.push(0);
  }
  A.push(new Array<number>(T).fill(1));
  b.push(1);
  const alpha = solveDense(A, b);
  return alpha && alpha.every(Number.isFinite) ? alpha : null;
}

/** max_t |g·u_t − g·u_0| relative to max_t |g_t|·|g|, for weights α on the gradients of Gram K (0 for zero gradients). */
export function imtlResidual(K: Gram, alpha: ArrayLike<number>): number {
  const T = K.length;
  const proj: number[] = [];
  let gg = 0;
  for (let s = 0; s < T; s++) for (let t = 0; t < T; t++) gg += alpha[s] * alpha[t] * K[s][t];
  for (let t = 0; t < T; t++) {
    const nt = Math.sqrt(Math.max(K[t][t], 0));
    let p = 0;
    for (let k = 0; k < T; k++) p += alpha[k] * K[k][t];
    proj.push(nt > 0 ? p / nt : 0);
  }
  const scale = Math.sqrt(Math.max(gg, 0));
  if (!(scale > 0)) return 0;
  return Math.max(...proj.map((p) => Math.abs(p - proj[0]))) / scale;
}

/**
 * Each task's gradient is first scaled by IMTL-L's e^{s_t} (the gradient of e^{s_t} L_t); IMTL-G's α are
 * found on the scaled gradients, so grad = Σ α_t e^{s_t} g_t and weights_t = α_t e^{s_t} (α may be
 * negative). At s = 0 and equal gradients every α with Σα = 1 gives the mean. headScale_t = e^{s_t}:
 * task t's own parameters see its scaled loss, as in the paper's hybrid. Then s takes one SGD step on
 * e^{s_t} L_t − s_t: s_t ← s_t − IMTL_LR·(e^{s_t} L_t − 1). LibMTL (which fsmtl follows in computing
 * IMTL-L and IMTL-G together) learns s with the network's optimiser; fsmtl gives it its own fixed rate,
 * as for UW. When the system is singular (a zero gradient, dependent gradients) the weights fall back
 * to α = 1/T, counted as a solver failure only if those do not have equal projections either.
 */
export const imtlWeighting: WeightingFactory = () => {
  const m: GradientWeighting<ImtlState> = {
    name: 'imtl',
    summary: 'IMTL: equal projections of the shared gradient on the unit task gradients, with learned loss scales (Liu et al., ICLR 2021).',
    init: (T) => ({ logScale: new Array<number>(T).fill(0) }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const scale = state.logScale.map((s) => Math.exp(s));
      const K0 = gram(grads);
      const K = K0.map((row, i) => row.map((v, j) => v * scale[i] * scale[j]));
      let alpha: ArrayLike<number> | null = imtlAlpha(K);
      let solverFailures = 0;
      if (!alpha) {
        alpha = new Array<number>(T).fill(1 / T);
        if (imtlResidual(K, alpha) > 1e-6) solverFailures = 1;
      }
      const weights = Array.from(alpha, (a, t) => a * scale[t]);
      const logScale = state.logScale.map((s, t) => {
        const L = ctx.losses[t];
        if (!Number.isFinite(L)) return s;
        const next = s - IMTL_LR * (Math.exp(s) * L - 1);
        return Math.min(IMTL_SCALE_BOUND, Math.max(-IMTL_SCALE_BOUND, next));
      });
      return { grad: linearCombination(grads, weights), headScale: scale, weights, state: { logScale }, solverFailures };
    },
  };
  return m as GradientWeighting;
};
