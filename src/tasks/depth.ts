// Depth estimation: a real value per pixel of a height × width grid. The network predicts depth
// standardised with the valid training pixels' mean and standard deviation (as regression does, so that
// one learning rate suits metres or millimetres); the loss is L1 over the batch's valid pixels (NaN or the
// spec's invalid value, e.g. 0, are skipped), as in MTAN and LibMTL (there in the data's own units: the
// standardisation scales this loss by 1/std).
// The Fisher likelihood is Laplace per pixel with unit scale in standardised units, the distribution whose
// negative log-likelihood is the L1 loss: log p(y | μ) = −|y − μ| − log 2, summed over an example's pixels.
//   'true':  −Σ_valid |y − μ|, one backward pass;
//   'exact': the score is sign(y − μ) ∂μ/∂θ, whose square has expectation (∂μ/∂θ)² at each pixel and whose
//     cross terms between pixels vanish, so Σ_pixels (∂μ_p/∂θ)²: one pass per pixel, taken on a lattice of
//     at most EXACT_FISHER_PIXELS pixels and scaled to the grid (src/tasks/pixels.ts);
//   'predicted': the prediction is the mode, where |y − μ| has zero gradient, so Eq. 10's form would score
//     every parameter 0. It takes the model's own distribution instead, drawn once: a target y ~ Laplace(μ, 1)
//     has score sign(y − μ) ∂μ/∂θ with sign(y − μ) a fair ±1, so one pass of Σ_q s_q μ_q with fixed
//     pseudo-random signs s (laplaceSigns) is an unbiased one-draw estimate of 'exact' over the whole grid.
// Metrics over every valid pixel of the test set, in the data's units: absolute error mean |ŷ − y| and
// relative error mean |ŷ − y| / y. LibMTL's DepthMetric weights each batch's means by its valid pixels,
// which is this pooled mean; MTAN's original script averages per-batch means instead.
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { FsmtlError } from '../util/errors.js';
import { meanOverPresent, presentMask, zeroMissing } from './labels.js';
import { checkPixelLabels, exactFisherPixels, gridFields, markMissing } from './pixels.js';
import type { DepthSpec, MetricDef, TaskKind } from './types.js';

export const DEPTH_METRICS: MetricDef[] = [
  { name: 'abs_err', title: 'Abs Err', higherIsBetter: false },
  { name: 'rel_err', title: 'Rel Err', higherIsBetter: false },
];

/**
 * ±1 per (example row, pixel), n × P, from a fixed integer hash: the signs sign(y − μ) of one draw of each
 * pixel's target from the model's Laplace. Fixed, so that an estimate depends only on the examples drawn.
 */
export function laplaceSigns(n: number, P: number): Float32Array {
  const s = new Float32Array(n * P);
  for (let k = 0; k < s.length; k++) {
    let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    s[k] = h & 1 ? 1 : -1;
  }
  return s;
}

const standardisation = (s: DepthSpec) => ({ mean: s.mean ?? 0, std: s.std ?? 1 });

/** Depths in the data's units from standardised outputs. */
function unstandardise(out: Float32Array, s: DepthSpec): Float32Array {
  const { mean, std } = standardisation(s);
  return out.map((v) => v * std + mean);
}

export const depth: TaskKind<DepthSpec> = {
  name: 'depth',
  summary: 'a depth per pixel (L1 on valid pixels; absolute and relative error)',
  specSchema: z
    .object({
      kind: z.literal('depth'),
      ...gridFields,
      unit: z.string().optional(),
      invalid: z.number().optional(),
      mean: z.number().optional(),
      std: z.number().positive().optional(),
    })
    .strict() as unknown as z.ZodType<DepthSpec>,
  outputs: () => 1,
  pixels: (s) => ({ height: s.height, width: s.width }),
  labelWidth: (s) => s.height * s.width,
  checkLabels(y, _n, s, where) {
    checkPixelLabels(y, s, where, (v) => Number.isFinite(v) && v > 0, 'a positive depth', s.invalid);
  },
  prepare(s, y) {
    let k = 0;
    let sum = 0;
    let ss = 0;
    for (const v of y) if (!Number.isNaN(v) && v !== s.invalid) (k++, (sum += v));
    if (k === 0) throw new FsmtlError(`depth task: no valid depth in the training labels`);
    const mean = sum / k;
    for (const v of y) if (!Number.isNaN(v) && v !== s.invalid) ss += (v - mean) ** 2;
    return { ...s, mean, std: Math.sqrt(ss / k) || 1 };
  },
  // Predicting the standardised mean: E|z| ≤ √E[z²] = 1.
  baselineLoss: () => 1,
  encodeLabels(y, s) {
    const { mean, std } = standardisation(s);
    return markMissing(y, s.invalid).map((v) => (v - mean) / std);
  },
  loss(out, y) {
    const o = tf.reshape(out, [-1]);
    const yv = tf.reshape(y, [-1]);
    return meanOverPresent(tf.abs(tf.sub(o, zeroMissing(yv))), presentMask(yv));
  },
  fisher(s, label) {
    if (label === 'true') {
      return {
        terms: 1,
        objective: (out, y) => tf.neg(tf.sum(tf.mul(tf.abs(tf.sub(out, zeroMissing(y))), presentMask(y)))) as tf.Scalar,
        weight: () => null,
      };
    }
    if (label === 'predicted') {
      const P = s.height * s.width;
      return {
        terms: 1,
        objective: (out) => tf.sum(tf.mul(out, tf.tensor2d(laplaceSigns(out.shape[0], P), [out.shape[0], P]))) as tf.Scalar,
        weight: () => null,
      };
    }
    const { pixels, scale } = exactFisherPixels(s);
    return {
      terms: pixels.length,
      objective: (out, _y, k) => tf.sum(tf.slice(out, [0, pixels[k]], [-1, 1])) as tf.Scalar,
      weight: (out) => (scale === 1 ? null : (tf.fill([out.shape[0]], scale) as tf.Tensor1D)),
    };
  },
  metrics: DEPTH_METRICS,
  tableMetrics: ['abs_err', 'rel_err'],
  primaryMetric: 'abs_err',
  accumulator(s) {
    let k = 0;
    let abs = 0;
    let rel = 0;
    return {
      add(out, y, n) {
        const d = unstandardise(out.subarray(0, n * s.height * s.width), s);
        for (let q = 0; q < d.length; q++) {
          const t = y[q];
          if (Number.isNaN(t) || t === s.invalid) continue;
          const e = Math.abs(d[q] - t);
          k++;
          abs += e;
          rel += e / t;
        }
      },
      result: () => (k === 0 ? { abs_err: NaN, rel_err: NaN } : { abs_err: abs / k, rel_err: rel / k }),
    };
  },
  // One row per example: mean, minimum and maximum predicted depth; the maps come from decodeMaps.
  decode(out, n, s) {
    const P = s.height * s.width;
    const d = unstandardise(out.subarray(0, n * P), s);
    const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    for (let i = 0; i < n; i++) {
      const row = d.subarray(i * P, (i + 1) * P);
      cols[0][i] = row.reduce((a, v) => a + v, 0) / P;
      cols[1][i] = row.reduce((a, v) => Math.min(a, v), Infinity);
      cols[2][i] = row.reduce((a, v) => Math.max(a, v), -Infinity);
    }
    return { columns: ['mean', 'min', 'max'], values: cols };
  },
  decodeMaps: (out, n, s) => ({ type: 'values', height: s.height, width: s.width, unit: s.unit, values: unstandardise(out.subarray(0, n * s.height * s.width), s) }),
};
