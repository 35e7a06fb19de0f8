// Binary classification (one yes/no attribute; CelebA is many of these): one logit z per example,
// p(1 | x) = σ(z), sigmoid cross-entropy. Labels: 0 or 1. Its metrics are the multiclass ones for two
// classes (accuracy, and precision, recall and F1 as the mean over both outcomes), so that binary and
// multiclass tasks share columns in a report.
import * as tf from '@tensorflow/tfjs-core';
import { CLASSIFICATION_METRICS, confusionAccumulator } from './confusion.js';
import { checkEachLabel, meanOverPresent, presentMask, zeroMissing } from './labels.js';
import { binarySpecSchema, decodeBinary } from './specs.js';
import type { BinarySpec, TaskKind } from './types.js';

/** log σ(z) = −softplus(−z), without overflow. */
const logSigmoid = (z: tf.Tensor) => tf.neg(tf.softplus(tf.neg(z)));

export const binary: TaskKind<BinarySpec> = {
  name: 'binary',
  summary: 'a yes/no label per example (sigmoid cross-entropy; accuracy, precision, recall, F1 over both outcomes)',
  specSchema: binarySpecSchema,
  outputs: () => 1,
  labelWidth: () => 1,
  checkLabels(y, _n, _s, where) {
    checkEachLabel(y, 1, where, (v) => v === 0 || v === 1, '0 or 1');
  },
  prepare: (s) => s,
  baselineLoss: () => Math.LN2,
  encodeLabels: (y) => y,
  loss(out, y, _s, missing) {
    // softplus(z) − y·z = −[y log σ(z) + (1 − y) log σ(−z)]
    const z = tf.reshape(out, [-1]);
    const t = tf.reshape(missing ? zeroMissing(y) : y, [-1]);
    const nll = tf.sub(tf.softplus(z), tf.mul(t, z));
    return missing ? meanOverPresent(nll, tf.reshape(presentMask(y), [-1])) : (tf.mean(nll) as tf.Scalar);
  },
  fisher(_s, label) {
    // log p(t | z) = t·log σ(z) + (1 − t)·log σ(−z)
    const logLik = (z: tf.Tensor, t: tf.Tensor) => tf.sum(tf.add(tf.mul(t, logSigmoid(z)), tf.mul(tf.sub(1, t), logSigmoid(tf.neg(z))))) as tf.Scalar;
    if (label === 'exact') {
      // Eq. 9 over {1, 0}: term 0 is t = 1 with weight σ(z), term 1 is t = 0 with weight σ(−z).
      return {
        terms: 2,
        objective: (out, _y, term) => tf.sum(logSigmoid(term === 0 ? out : tf.neg(out))) as tf.Scalar,
        weight: (out, term) => tf.reshape(tf.sigmoid(term === 0 ? out : tf.neg(out)), [-1]) as tf.Tensor1D,
      };
    }
    return {
      terms: 1,
      objective: (out, y) => logLik(out, label === 'predicted' ? tf.step(out) /* 1 where z > 0; has a (zero) gradient, unlike greater */ : tf.reshape(y, out.shape)),
      weight: () => null,
    };
  },
  metrics: CLASSIFICATION_METRICS,
  tableMetrics: ['accuracy', 'f1'],
  primaryMetric: 'f1',
  accumulator: () => confusionAccumulator(2, (out, i) => (out[i] > 0 ? 1 : 0)),
  decode: (out, n) => decodeBinary(out, n),
};
