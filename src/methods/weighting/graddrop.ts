// GradDrop, gradient sign dropout (Chen et al., "Just Pick a Sign: Optimizing Deep Multitask Models
// with Gradient Sign Dropout", NeurIPS 2020).
import type { Rng } from '../../util/rng.js';
import { checkGrads } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export type GraddropState = null;

/**
 * One GradDrop draw. Per coordinate i: the sign purity P_i = ½(1 + Σ_t g_ti / Σ_t |g_ti|) (½ where every
 * g_ti is 0), one uniform draw U_i from rng, and the mask M_ti = 1 if (P_i > U_i and g_ti > 0) or
 * (P_i < U_i and g_ti < 0), else 0: with probability P_i the positive parts survive, otherwise the
 * negative ones. out_i = (1/T) Σ_t (ℓ + (1 − ℓ) M_ti) g_ti. Also returns, per task, the share of its
 * gradient's L1 mass that survives, Σ_i |g_ti|(ℓ + (1 − ℓ)M_ti) / Σ_i |g_ti| (1 when it is zero).
 */
export function graddrop(grads: Float32Array[], leak: number, rng: Rng): { grad: Float32Array; kept: number[] } {
  const T = grads.length;
  const P = grads[0].length;
  const out = new Float32Array(P);
  const keptMass = new Float64Array(T);
  const mass = new Float64Array(T);
  for (let i = 0; i < P; i++) {
    let sum = 0;
    let abs = 0;
    for (let t = 0; t < T; t++) {
      const g = grads[t][i];
      sum += g;
      abs += Math.abs(g);
    }
    const purity = abs > 0 ? 0.5 * (1 + sum / abs) : 0.5;
    const u = rng.next();
    let acc = 0;
    for (let t = 0; t < T; t++) {
      const g = grads[t][i];
      const keep = (purity > u && g > 0) || (purity < u && g < 0) ? 1 : leak;
      acc += keep * g;
      const a = Math.abs(g);
      mass[t] += a;
      keptMass[t] += keep * a;
    }
    out[i] = acc / T;
  }
  const kept = Array.from(mass, (m, t) => (m > 0 ? keptMass[t] / m : 1));
  return { grad: out, kept };
}

/**
 * fsmtl applies the sign dropout to the shared PARAMETERS' gradients, coordinate by coordinate. The
 * paper inserts it as a layer on the shared representation (LibMTL too, which needs representation
 * gradients), where the purity is summed over the batch with the sign of the inputs; on parameter
 * gradients each coordinate already sums the batch. grad is the mean of the masked gradients (LibMTL
 * sums; the mean keeps the EW scale: gradients of one sign everywhere are kept whole). linearInGrads is
 * false: the mask differs per coordinate; `weights` are kept_t/T, the share of each task's gradient
 * (L1 mass) that survived, over T. headScale = 1. One rng draw per shared parameter per step.
 * Leak ℓ = graddropLeak (0, LibMTL's default).
 */
export const graddropWeighting: WeightingFactory = (opts) => {
  const leak = opts.graddropLeak;
  if (!(leak >= 0 && leak <= 1)) throw new RangeError(`graddrop: leak must be in [0, 1] (got ${leak})`);
  const m: GradientWeighting<GraddropState> = {
    name: 'graddrop',
    summary: 'GradDrop: per coordinate, keep the gradients of one sign, drawn by sign purity (Chen et al., NeurIPS 2020).',
    linearInGrads: false,
    init: () => null,
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      const r = graddrop(grads, leak, ctx.rng);
      return { grad: r.grad, headScale: new Array<number>(T).fill(1), weights: r.kept.map((k) => k / T), state, solverFailures: 0 };
    },
  };
  return m as GradientWeighting;
};
