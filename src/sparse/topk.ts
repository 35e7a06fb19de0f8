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
  if (n >= RADIX_MIN) return radixTopK(scores, k, mask);
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

/** From this length on, topKMask selects by radix (below it, the histograms would cost more than they save). */
export const RADIX_MIN = 1 << 16;

/**
 * topKMask for long score vectors: the threshold by a radix select on the scores' bit patterns (two
 * counting passes over the 16-bit digits of an order-preserving integer key) instead of a comparison-based
 * selection: three linear passes in all and no copy of the scores (several times faster than quickselect
 * on a 665k-parameter extractor; a mask update selects once per task, so this cost grows with the tasks).
 * The keys are signed 32-bit integers (small integers to V8 on 64-bit, also before the loops are
 * optimised, which matters here: each loop runs once per mask) and the arithmetic is inlined.
 */
function radixTopK(scores: Float32Array, k: number, mask: Uint8Array): Uint8Array {
  const n = scores.length;
  // Key of a float: its bits as an int32, with the 31 low bits flipped for negative floats, so that keys
  // order like the floats; −0 (int32 −2^31) is read as +0 (0).
  const bits = new Int32Array(scores.buffer, scores.byteOffset, n);
  // Pass 1: NaN check and histogram of the keys' high 16 bits (as 0 … 65535).
  const high = new Int32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) throw new FsmtlError('top-K: scores contain NaN (the training has diverged)');
    const key = b >= 0 ? b : b === -2147483648 ? 0 : b ^ 0x7fffffff;
    high[(key >> 16) + 32768]++;
  }
  // The high digit of the k-th largest key, and how many keys lie above its bucket.
  let above = 0;
  let hi = 65535;
  while (above + high[hi] < k) above += high[hi--];
  const digit = hi - 32768;
  // Pass 2: histogram of the low 16 bits inside that bucket.
  const low = new Int32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    const key = b >= 0 ? b : b === -2147483648 ? 0 : b ^ 0x7fffffff;
    if (key >> 16 === digit) low[key & 0xffff]++;
  }
  let lo = 65535;
  while (above + low[lo] < k) above += low[lo--];
  const threshold = (digit << 16) | lo;
  // Pass 3: everything above the threshold, then the ties at it by lower index.
  let ties = k - above;
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    const key = b >= 0 ? b : b === -2147483648 ? 0 : b ^ 0x7fffffff;
    if (key > threshold) mask[i] = 1;
    else if (key === threshold && ties > 0) {
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
 * a sort would take O(n log n), ~70 ms for a 665k-parameter extractor). topKMask's path for short vectors.
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
