// Eq. 11: keep the K parameters with the largest score. Pure functions on typed arrays.
import { FsmtlError } from '../util/errors.js';

/**
 * Mask with exactly k ones at the k largest scores. Ties at the threshold go to the lower index, so the
 * result depends only on the scores.
 */
export function topKMask(scores: Float32Array, k: number): Uint8Array {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new FsmtlError(`top-K: k = ${k} is outside [0, ${n}]`);
  const mask = new Uint8Array(n);
  if (k === 0) return mask;
  if (k === n) return mask.fill(1);
  const sorted = Float32Array.from(scores);
  sorted.sort();
  if (Number.isNaN(sorted[n - 1])) throw new FsmtlError('top-K: scores contain NaN (the training has diverged)');
  const threshold = sorted[n - k];
  let above = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i] > threshold) {
      mask[i] = 1;
      above++;
    }
  }
  let ties = k - above;
  for (let i = 0; i < n && ties > 0; i++) {
    if (scores[i] === threshold) {
      mask[i] = 1;
      ties--;
    }
  }
  return mask;
}

/** Number of parameters kept out of n at keep ratio p: round(p·n), at least 1. */
export function keepCount(n: number, keep: number): number {
  return Math.max(1, Math.min(n, Math.round(keep * n)));
}
