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
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new FsmtlError('top-K: scores contain NaN (the training has diverged)');
  }
  const threshold = kthSmallest(Float32Array.from(scores), n - k);
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

/**
 * The value that would sit at index k if `a` were sorted ascending (Hoare's selection, O(n) on average;
 * a sort would take O(n log n), ~70 ms for a 665k-parameter extractor, three times per mask update).
 * Reorders `a`. Falls back to sorting the remaining range if partitioning stops shrinking it quickly,
 * so that adversarial orders cannot make it quadratic.
 */
export function kthSmallest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let rounds = 2 * Math.ceil(Math.log2(a.length + 1)) + 16;
  while (hi > lo) {
    if (rounds-- === 0) {
      const rest = a.subarray(lo, hi + 1).sort();
      return rest[k - lo];
    }
    // Median of three as the pivot.
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and every element strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}
