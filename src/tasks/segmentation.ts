// Semantic segmentation: a class per pixel of a height × width grid. The head gives C logits per pixel
// (outputs [N, H·W·C], NHWC), the loss is the softmax cross-entropy averaged over the labelled pixels of
// the batch (NaN or the spec's ignore value: skipped), and the Fisher likelihood is categorical per pixel,
// an example's log-likelihood being the sum over its pixels (pixels independent given the image):
//   'predicted' (Eq. 10): each pixel's argmax class, one backward pass;
//   'true': each labelled pixel's class, one backward pass;
//   'exact' (Eq. 9): Σ_pixels Σ_c p(c) (∂ log p(c)/∂θ)²: the cross terms between pixels vanish in
//     expectation, but each (pixel, class) needs its own pass, so it is taken on a lattice of at most
//     EXACT_FISHER_PIXELS pixels and scaled to the grid (src/tasks/pixels.ts): C × 16 passes at most.
// Metrics over every labelled pixel of the test set, from one confusion matrix: mIoU (the mean over
// classes that occur in the labels or the predictions of TP / (TP + FP + FN)) and pixel accuracy,
// as LibMTL's SegMetric computes them (it accumulates the same matrix over the whole set).
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { meanOverPresent, presentMask, zeroMissing } from './labels.js';
import { checkPixelLabels, exactFisherPixels, gridFields, markMissing } from './pixels.js';
import type { MetricDef, SegmentationSpec, TaskKind } from './types.js';

export const SEGMENTATION_METRICS: MetricDef[] = [
  { name: 'miou', title: 'mIoU', higherIsBetter: true },
  { name: 'pixacc', title: 'Pix Acc', higherIsBetter: true },
];

/** Per-pixel argmax classes of n examples' outputs (n × P × C) as n × P class indices. */
export function pixelArgmax(out: Float32Array, n: number, P: number, C: number): Float32Array {
  const cls = new Float32Array(n * P);
  for (let q = 0; q < n * P; q++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (out[q * C + c] > out[q * C + best]) best = c;
    cls[q] = best;
  }
  return cls;
}

/** mIoU and pixel accuracy of a C × C confusion matrix (rows: true class, columns: predicted). */
export function segmentationScores(m: Float64Array, C: number): { miou: number; pixacc: number } {
  let diag = 0;
  let total = 0;
  let iouSum = 0;
  let present = 0;
  for (let c = 0; c < C; c++) {
    let row = 0;
    let col = 0;
    for (let k = 0; k < C; k++) (row += m[c * C + k]), (col += m[k * C + c]);
    const tp = m[c * C + c];
    diag += tp;
    total += row;
    const union = row + col - tp;
    // A class absent from both labels and predictions has no IoU (LibMTL's nanmean skips it too).
    if (union > 0) (iouSum += tp / union), present++;
  }
  return total === 0 ? { miou: NaN, pixacc: NaN } : { miou: iouSum / present, pixacc: diag / total };
}

export const segmentation: TaskKind<SegmentationSpec> = {
  name: 'segmentation',
  summary: 'a class per pixel (per-pixel softmax cross-entropy with ignored pixels; mIoU, pixel accuracy)',
  specSchema: z
    .object({
      kind: z.literal('segmentation'),
      classes: z.number().int().min(2, 'a segmentation task needs at least 2 classes'),
      ...gridFields,
      classNames: z.array(z.string()).optional(),
      ignore: z.number().optional(),
    })
    .strict()
    .refine((s) => !s.classNames || s.classNames.length === s.classes, { message: 'classNames must name every class', path: ['classNames'] }),
  outputs: (s) => s.classes,
  pixels: (s) => ({ height: s.height, width: s.width }),
  labelWidth: (s) => s.height * s.width,
  checkLabels(y, _n, s, where) {
    checkPixelLabels(y, s, where, (v) => Number.isInteger(v) && v >= 0 && v < s.classes, `a class in 0…${s.classes - 1}`, s.ignore);
  },
  prepare: (s) => s,
  baselineLoss: (s) => Math.log(s.classes),
  encodeLabels: (y, s) => markMissing(y, s.ignore),
  // Ignored pixels are NaN once encoded, whatever `missing` says of the stored labels.
  loss(out, y, s) {
    const yv = tf.reshape(y, [-1]);
    const lp = tf.logSoftmax(tf.reshape(out, [-1, s.classes]));
    const target = tf.oneHot(tf.cast(zeroMissing(yv), 'int32'), s.classes);
    return meanOverPresent(tf.neg(tf.sum(tf.mul(target, lp), 1)), presentMask(yv));
  },
  fisher(s, label) {
    const C = s.classes;
    const P = s.height * s.width;
    const logp = (out: tf.Tensor2D) => tf.logSoftmax(tf.reshape(out, [-1, P, C])) as tf.Tensor3D;
    if (label === 'exact') {
      const { pixels, scale } = exactFisherPixels(s);
      const at = (out: tf.Tensor2D, k: number) => tf.reshape(tf.slice(logp(out), [0, pixels[Math.floor(k / C)], k % C], [-1, 1, 1]), [-1]);
      return {
        terms: pixels.length * C,
        objective: (out, _y, k) => tf.sum(at(out, k)) as tf.Scalar,
        weight: (out, k) => tf.mul(scale, tf.exp(at(out, k))) as tf.Tensor1D,
      };
    }
    return {
      terms: 1,
      objective: (out, y) => {
        const lp = logp(out);
        if (label === 'predicted') return tf.sum(tf.mul(lp, tf.oneHot(tf.argMax(lp, 2), C))) as tf.Scalar;
        const yv = tf.reshape(y, [-1, P]);
        const target = tf.mul(tf.oneHot(tf.cast(zeroMissing(yv), 'int32'), C), tf.expandDims(presentMask(yv), 2));
        return tf.sum(tf.mul(lp, target)) as tf.Scalar;
      },
      weight: () => null,
    };
  },
  metrics: SEGMENTATION_METRICS,
  tableMetrics: ['miou', 'pixacc'],
  primaryMetric: 'miou',
  accumulator(s) {
    const C = s.classes;
    const P = s.height * s.width;
    const m = new Float64Array(C * C);
    return {
      add(out, y, n) {
        const pred = pixelArgmax(out, n, P, C);
        for (let q = 0; q < n * P; q++) {
          const t = y[q];
          if (Number.isNaN(t) || t === s.ignore) continue;
          m[t * C + pred[q]]++;
        }
      },
      result: () => segmentationScores(m, C),
    };
  },
  // One row per example: its most frequent predicted class, that class's share of the pixels, and the
  // number of classes it predicts; the maps themselves come from decodeMaps (predict --maps).
  decode(out, n, s) {
    const P = s.height * s.width;
    const cls = pixelArgmax(out, n, P, s.classes);
    const main = new Float64Array(n);
    const share = new Float64Array(n);
    const count = new Float64Array(n);
    const hist = new Array<number>(s.classes);
    for (let i = 0; i < n; i++) {
      hist.fill(0);
      for (let p = 0; p < P; p++) hist[cls[i * P + p]]++;
      main[i] = hist.indexOf(Math.max(...hist));
      share[i] = hist[main[i]] / P;
      count[i] = hist.filter((h) => h > 0).length;
    }
    return { columns: ['main_class', 'main_share', 'classes'], values: [main, share, count] };
  },
  decodeMaps: (out, n, s) => ({ type: 'classes', height: s.height, width: s.width, classes: s.classes, values: pixelArgmax(out, n, s.height * s.width, s.classes) }),
};
