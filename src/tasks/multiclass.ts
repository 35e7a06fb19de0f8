// Multiclass classification: a linear head of C logits, softmax cross-entropy, and the categorical
// likelihood p(c | x) = softmax(out)_c for the Fisher. Labels: one integer class per example.
import * as tf from '@tensorflow/tfjs-core';
import { CLASSIFICATION_METRICS, confusionAccumulator } from './confusion.js';
import { checkEachLabel, meanOverPresent, presentMask, zeroMissing } from './labels.js';
import { argmaxRow, decodeMulticlass, multiclassSpecSchema } from './specs.js';
import type { MulticlassSpec, TaskKind } from './types.js';

export { argmaxRow };

export const multiclass: TaskKind<MulticlassSpec> = {
  name: 'multiclass',
  summary: 'one of C classes per example (softmax cross-entropy; accuracy, macro precision, recall, F1)',
  specSchema: multiclassSpecSchema,
  outputs: (s) => s.classes,
  labelWidth: () => 1,
  checkLabels(y, _n, s, where) {
    checkEachLabel(y, 1, where, (v) => Number.isInteger(v) && v >= 0 && v < s.classes, `a class in 0…${s.classes - 1}`);
  },
  prepare: (s) => s,
  baselineLoss: (s) => Math.log(s.classes),
  encodeLabels: (y) => y,
  loss(out, y, s, missing) {
    if (!missing) {
      // The dense case in one op, as before task kinds existed (same numbers).
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(tf.reshape(y, [-1]), 'int32'), s.classes), out) as tf.Scalar;
    }
    const present = tf.reshape(presentMask(y), [-1]);
    const target = tf.oneHot(tf.cast(tf.reshape(zeroMissing(y), [-1]), 'int32'), s.classes);
    const nll = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(out)), 1));
    return meanOverPresent(nll, present);
  },
  fisher(s, label) {
    const C = s.classes;
    const pick = (lp: tf.Tensor2D, target: tf.Tensor) => tf.sum(tf.mul(lp, target)) as tf.Scalar;
    if (label === 'exact') {
      // Eq. 9: E_{c ~ p(c|x)} — one pass per class c, example i weighted by p(c | x_i).
      return {
        terms: C,
        objective: (out, _y, c) => tf.sum(tf.slice(tf.logSoftmax(out), [0, c], [-1, 1])) as tf.Scalar,
        weight: (out, c) => tf.reshape(tf.exp(tf.slice(tf.logSoftmax(out), [0, c], [-1, 1])), [-1]) as tf.Tensor1D,
      };
    }
    return {
      terms: 1,
      objective: (out, y) => {
        const lp = tf.logSoftmax(out) as tf.Tensor2D;
        const cls = label === 'predicted' ? tf.argMax(out, 1) : tf.cast(tf.reshape(y, [-1]), 'int32');
        return pick(lp, tf.oneHot(cls as tf.Tensor1D, C));
      },
      weight: () => null,
    };
  },
  metrics: CLASSIFICATION_METRICS,
  tableMetrics: ['accuracy', 'f1'],
  primaryMetric: 'f1',
  accumulator: (s) => confusionAccumulator(s.classes, (out, i) => argmaxRow(out, i, s.classes)),
  decode: decodeMulticlass,
};
