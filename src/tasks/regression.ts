// Regression: D real targets per example, a linear head of D outputs, mean squared error on targets
// standardised with the training split's mean and standard deviation. The likelihood is Gaussian with
// unit variance in standardised units, p(y | x) = N(y; out, I):
//   'true':  log p(y | x) = −½ Σ_d (y_d − out_d)² (missing targets skipped);
//   'exact': E_y[(∂ log p/∂θ)²] = Σ_d (∂out_d/∂θ)², one pass per target;
//   'predicted': the model's own prediction is the mode, where the gradient is zero, so Eq. 10's form
//     would score every parameter 0; it takes the expectation over the model's distribution instead,
//     which is 'exact'.
// Metrics, in the data's units: MAE, RMSE (lower is better) and R² (higher), each the mean over targets.
import * as tf from '@tensorflow/tfjs-core';
import { FsmtlError } from '../util/errors.js';
import { checkEachLabel, meanOverPresent, presentMask, zeroMissing } from './labels.js';
import { decodeRegression, regressionSpecSchema, standardisation } from './specs.js';
import type { RegressionSpec, TaskKind } from './types.js';

export const regression: TaskKind<RegressionSpec> = {
  name: 'regression',
  summary: 'one or more real targets per example (mean squared error on standardised targets; MAE, RMSE, R²)',
  specSchema: regressionSpecSchema,
  outputs: (s) => s.targets,
  labelWidth: (s) => s.targets,
  checkLabels(y, _n, s, where) {
    checkEachLabel(y, s.targets, where, Number.isFinite, 'a finite number');
  },
  prepare(s, y, n) {
    const D = s.targets;
    const mean: number[] = [];
    const std: number[] = [];
    for (let d = 0; d < D; d++) {
      let k = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) if (!Number.isNaN(y[i * D + d])) (sum += y[i * D + d]), k++;
      if (k === 0) throw new FsmtlError(`regression target ${s.targetNames?.[d] ?? d + 1} has no labelled training example`);
      const m = sum / k;
      let ss = 0;
      for (let i = 0; i < n; i++) if (!Number.isNaN(y[i * D + d])) ss += (y[i * D + d] - m) ** 2;
      mean.push(m);
      // A constant target would divide by zero: keep it in its own units.
      std.push(Math.sqrt(ss / k) || 1);
    }
    return { ...s, mean, std };
  },
  // Predicting the training mean of standardised targets: a mean squared error of 1.
  baselineLoss: () => 1,
  encodeLabels(y, s) {
    const { mean, std } = standardisation(s);
    const D = s.targets;
    return y.map((v, i) => (v - mean[i % D]) / std[i % D]);
  },
  loss(out, y, _s, missing) {
    if (!missing) return tf.mean(tf.squaredDifference(out, y)) as tf.Scalar;
    return meanOverPresent(tf.squaredDifference(out, zeroMissing(y)), presentMask(y));
  },
  fisher(s, label) {
    if (label === 'true') {
      return {
        terms: 1,
        objective: (out, y) => tf.mul(-0.5, tf.sum(tf.mul(tf.squaredDifference(out, zeroMissing(y)), presentMask(y)))) as tf.Scalar,
        weight: () => null,
      };
    }
    return {
      terms: s.targets,
      objective: (out, _y, d) => tf.sum(tf.slice(out, [0, d], [-1, 1])) as tf.Scalar,
      weight: () => null,
    };
  },
  metrics: [
    { name: 'mae', title: 'MAE', higherIsBetter: false },
    { name: 'rmse', title: 'RMSE', higherIsBetter: false },
    { name: 'r2', title: 'R²', higherIsBetter: true },
  ],
  tableMetrics: ['mae', 'r2'],
  primaryMetric: 'r2',
  accumulator(s) {
    const D = s.targets;
    const { mean, std } = standardisation(s);
    // Per target: count, Σ|e|, Σe², Σy, Σy² (R² = 1 − SSE / SST with SST = Σy² − (Σy)²/k).
    const acc = Array.from({ length: D }, () => ({ k: 0, abs: 0, sq: 0, sy: 0, syy: 0 }));
    return {
      add(out, y, n) {
        for (let i = 0; i < n; i++) {
          for (let d = 0; d < D; d++) {
            const t = y[i * D + d];
            if (Number.isNaN(t)) continue;
            const e = out[i * D + d] * std[d] + mean[d] - t;
            const a = acc[d];
            a.k++;
            a.abs += Math.abs(e);
            a.sq += e * e;
            // Centred on the training mean, so that Σy² − (Σy)²/k does not cancel for targets far from 0.
            a.sy += t - mean[d];
            a.syy += (t - mean[d]) ** 2;
          }
        }
      },
      result() {
        const per = acc.map((a) => {
          const sst = a.syy - (a.sy * a.sy) / a.k;
          return { mae: a.abs / a.k, rmse: Math.sqrt(a.sq / a.k), r2: sst > 0 ? 1 - a.sq / sst : NaN };
        });
        const avg = (f: (p: (typeof per)[number]) => number) => per.reduce((x, p) => x + f(p), 0) / D;
        return { mae: avg((p) => p.mae), rmse: avg((p) => p.rmse), r2: avg((p) => p.r2) };
      },
    };
  },
  decode: decodeRegression,
};
