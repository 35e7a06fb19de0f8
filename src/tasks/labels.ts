// Missing labels: NaN in a label row. Helpers shared by the task kinds' losses.
import * as tf from '@tensorflow/tfjs-core';
import { FsmtlError } from '../util/errors.js';

/** 1 where a label is present, 0 where it is NaN; same shape as y. */
export function presentMask(y: tf.Tensor): tf.Tensor {
  return tf.cast(tf.logicalNot(tf.isNaN(y)), 'float32');
}

/** y with every NaN replaced by 0 (so that it can feed ops whose gradient would be NaN otherwise). */
export function zeroMissing(y: tf.Tensor): tf.Tensor {
  return tf.where(tf.isNaN(y), tf.zerosLike(y), y);
}

/** Σ (present · perExample) / max(1, Σ present): a mean over the labelled entries only. */
export function meanOverPresent(perExample: tf.Tensor, present: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(perExample, present)), tf.maximum(tf.sum(present), 1)) as tf.Scalar;
}

/**
 * Throws an FsmtlError for the first present label (not NaN) that fails `ok`, naming `where`, the row
 * (1-based, as a user counts) and the value; `width` labels per row.
 */
export function checkEachLabel(y: Float32Array, width: number, where: string, ok: (v: number) => boolean, expected: string): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (Number.isNaN(v) || ok(v)) continue;
    const row = Math.floor(i / width) + 1;
    const col = width > 1 ? `, target ${(i % width) + 1}` : '';
    throw new FsmtlError(`${where}: label ${v} in row ${row}${col} is not ${expected}`);
  }
}
