// Dynamic weight average (Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019).
import { checkGrads, linearCombination, softmax } from './linalg.js';
import type { GradientWeighting, WeightingFactory } from './types.js';

export interface DwaState {
  /** Epoch whose losses are being accumulated (−1 before the first call). */
  epoch: number;
  sums: number[];
  count: number;
  /** Average training loss per task of the last two finished epochs, with their epoch numbers. */
  prev1: { epoch: number; avg: number[] } | null;
  prev2: { epoch: number; avg: number[] } | null;
}

/**
 * w_t = T·softmax_t(r / temperature), r_t = L̄_t(e−1) / L̄_t(e−2) with L̄ the EPOCH-average training
 * losses (accumulated here from ctx.losses and ctx.epoch); w = 1 for epochs 0 and 1 (and whenever
 * either previous epoch has no record). grad = Σ w_t g_t / T (the mean at equal weights),
 * headScale_t = w_t, weights = w_t / T.
 */
export const dwaWeighting: WeightingFactory = (opts) => {
  const temp = opts.dwaTemperature;
  if (!(temp > 0)) throw new RangeError(`dwa: temperature must be > 0 (got ${temp})`);
  const m: GradientWeighting<DwaState> = {
    name: 'dwa',
    summary: 'DWA: loss weights from the ratio of the last two epoch losses, softmax with temperature (Liu et al., CVPR 2019).',
    init: (T) => ({ epoch: -1, sums: new Array<number>(T).fill(0), count: 0, prev1: null, prev2: null }),
    combine(grads, ctx, state) {
      checkGrads(grads, ctx.losses);
      const T = grads.length;
      let { epoch, sums, count, prev1, prev2 } = state;
      if (ctx.epoch !== epoch) {
        if (epoch >= 0 && count > 0) {
          prev2 = prev1;
          prev1 = { epoch, avg: sums.map((s) => s / count) };
        }
        epoch = ctx.epoch;
        sums = new Array<number>(T).fill(0);
        count = 0;
      }
      let w = new Array<number>(T).fill(1);
      const e = ctx.epoch;
      if (e >= 2 && prev1 && prev2 && prev1.epoch === e - 1 && prev2.epoch === e - 2) {
        const r = prev1.avg.map((l, t) => l / prev2!.avg[t]);
        if (r.every((v) => Number.isFinite(v))) w = softmax(r.map((v) => v / temp)).map((v) => v * T);
      }
      sums = sums.map((s, t) => s + ctx.losses[t]);
      count += 1;
      const weights = w.map((v) => v / T);
      return {
        grad: linearCombination(grads, weights),
        headScale: w,
        weights,
        state: { epoch, sums, count, prev1, prev2 },
        solverFailures: 0,
      };
    },
  };
  return m as GradientWeighting;
};
