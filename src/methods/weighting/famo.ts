// FAMO (Liu, Feng, Stone & Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023).
import { checkGrads, linearCombination, softmax } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface FamoState {
  /** Task logits ξ (init 0); the weights are z = softmax(ξ). */
  logits: number[];
  /** Adam's first and second moments of ξ and its step count. */
  m: number[];
  v: number[];
  adamSteps: number;
  /** The previous call's losses (null before the first call). */
  prevLosses: number[] | null;
}

/** Added to every loss before its log (the authors' code: 1e-8; the minimum losses are taken as 0). */
export const FAMO_EPS = 1e-8;
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

/**
 * One FAMO update of the logits: δ_t = log(L_t^prev + ε) − log(L_t^now + ε) (how much each log loss
 * fell), the gradient of ξ is J_softmax(ξ)ᵀδ = z ⊙ (δ − zᵀδ), plus γξ (torch Adam's L2 weight decay), and
 * ξ takes one Adam step of rate lr. A task whose loss fell faster than the others' loses weight.
 */
export function famoUpdate(state: FamoState, losses: number[], lr: number, gamma: number): FamoState {
  if (!state.prevLosses) return { ...state, prevLosses: losses.slice() };
  const prev = state.prevLosses;
  if (!losses.every(Number.isFinite) || !prev.every(Number.isFinite)) return { ...state, prevLosses: losses.slice() };
  const z = softmax(state.logits);
  const delta = losses.map((L, t) => Math.log(Math.max(prev[t], 0) + FAMO_EPS) - Math.log(Math.max(L, 0) + FAMO_EPS));
  const zd = z.reduce((a, zt, t) => a + zt * delta[t], 0);
  const grad = z.map((zt, t) => zt * (delta[t] - zd) + gamma * state.logits[t]);
  const k = state.adamSteps + 1;
  const m = state.m.map((mt, t) => ADAM_BETA1 * mt + (1 - ADAM_BETA1) * grad[t]);
  const v = state.v.map((vt, t) => ADAM_BETA2 * vt + (1 - ADAM_BETA2) * grad[t] * grad[t]);
  const c1 = 1 - ADAM_BETA1 ** k;
  const c2 = 1 - ADAM_BETA2 ** k;
  const logits = state.logits.map((x, t) => x - (lr * (m[t] / c1)) / (Math.sqrt(v[t] / c2) + ADAM_EPS));
  return { logits, m, v, adamSteps: k, prevLosses: losses.slice() };
}

/**
 * The weighted loss is Σ_t z_t log(L_t + ε) / c with c = Σ_t z_t/(L_t + ε), so the shared gradient is
 * Σ_t w_t g_t with w_t = z_t / ((L_t + ε) c): Σ w = 1, the mean at equal z and losses (weights = w).
 * Task t's own parameters get the same loss weight on the EW scale: headScale_t = T·w_t.
 *
 * The logits are updated from the change of the losses between two steps. The authors' code (and
 * LibMTL) re-evaluates the losses on the same batch after the parameter update, one extra forward pass;
 * a weighting here is a pure function of one step, so fsmtl uses the next step's losses (on the next
 * batch) instead: each call first updates ξ from the previous call's losses and its own, then weights
 * with the new z. lr = famoLr (0.025) and γ = famoGamma (1e-3) are LibMTL's defaults.
 */
export const famoWeighting: WeightingFactory = (opts) => {
  const lr = opts.famoLr;
  const gamma = opts.famoGamma;
  if (!(lr > 0)) throw new RangeError(`famo: lr must be > 0 (got ${lr})`);
  if (!(gamma >= 0)) throw new RangeError(`famo: gamma must be ≥ 0 (got ${gamma})`);
  const m: GradientWeighting<FamoState> = {
    name: 'famo',
    summary: 'FAMO: loss weights learned so that all log losses fall at an equal rate, O(1) per step (Liu et al., NeurIPS 2023).',
    init: (T) => ({ logits: new Array<number>(T).fill(0), m: new Array<number>(T).fill(0), v: new Array<number>(T).fill(0), adamSteps: 0, prevLosses: null }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const next = famoUpdate(state, ctx.losses, lr, gamma);
      const z = softmax(next.logits);
      const D = ctx.losses.map((L) => (Number.isFinite(L) ? Math.max(L, 0) : 1) + FAMO_EPS);
      const c = z.reduce((a, zt, t) => a + zt / D[t], 0);
      const weights = z.map((zt, t) => zt / (D[t] * c));
      return { grad: linearCombination(grads, weights), headScale: weights.map((w) => w * T), weights, state: next, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
