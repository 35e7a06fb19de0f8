// Deterministic class-stratified selection of examples, and conversion of uint8 images to a Split.
import { FsmtlError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Split } from './types.js';
import type { ImageSet } from './sources.js';

/** Members of `pool` (or of 0..labels.length-1) grouped by class, each group in ascending order. */
export function indicesByClass(labels: Int32Array, numClasses: number, pool?: Int32Array): Int32Array[] {
  const idx = pool ? Int32Array.from(pool).sort() : Int32Array.from({ length: labels.length }, (_, i) => i);
  const counts = new Array<number>(numClasses).fill(0);
  for (const i of idx) counts[labels[i]]++;
  const out = counts.map((c) => new Int32Array(c));
  const fill = new Array<number>(numClasses).fill(0);
  for (const i of idx) {
    const c = labels[i];
    out[c][fill[c]++] = i;
  }
  return out;
}

/**
 * How many of k to take from each class, proportionally to the class counts (largest remainder;
 * ties go to the lower class index). Sums to k when k ≤ the total; never exceeds a class's count.
 */
export function stratifiedQuotas(counts: number[], k: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (k > total) throw new Error(`stratifiedQuotas: k=${k} > total ${total}`);
  if (total === 0) return counts.map(() => 0);
  const exact = counts.map((c) => (k * c) / total);
  const q = exact.map(Math.floor);
  let left = k - q.reduce((a, b) => a + b, 0);
  const order = counts.map((_, c) => c).sort((a, b) => exact[b] - q[b] - (exact[a] - q[a]) || a - b);
  for (const c of order) {
    if (left === 0) break;
    if (q[c] < counts[c]) {
      q[c]++;
      left--;
    }
  }
  return q;
}

/** A class-stratified sample of k indices from pool (default: all), deterministic from rng; sorted ascending. */
export function stratifiedSample(labels: Int32Array, numClasses: number, k: number, rng: Rng, pool?: Int32Array): Int32Array {
  const groups = indicesByClass(labels, numClasses, pool);
  const quotas = stratifiedQuotas(
    groups.map((g) => g.length),
    k,
  );
  const out = new Int32Array(k);
  let o = 0;
  groups.forEach((g, c) => {
    const perm = rng.permutation(g.length);
    for (let j = 0; j < quotas[c]; j++) out[o++] = g[perm[j]];
  });
  return out.sort();
}

/**
 * Splits 0..labels.length-1 into two disjoint parts, class by class: from each class,
 * round(count × testFraction) examples go to `test`, the rest to `train`. Both sorted ascending.
 */
export function stratifiedSplit(
  labels: Int32Array,
  numClasses: number,
  testFraction: number,
  rng: Rng,
): { train: Int32Array; test: Int32Array } {
  const train: number[] = [];
  const test: number[] = [];
  for (const g of indicesByClass(labels, numClasses)) {
    const perm = rng.permutation(g.length);
    const nTest = Math.round(g.length * testFraction);
    for (let j = 0; j < g.length; j++) (j < nTest ? test : train).push(g[perm[j]]);
  }
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}

const SCALE = new Float32Array(256).map((_, v) => v / 255);

/** The examples idx of an image set as a Split: float32 pixels in [0, 1] (x / 255), N×H×W×1. */
export function gatherSplit(set: ImageSet, idx: Int32Array): Split {
  const size = set.height * set.width;
  const x = new Float32Array(idx.length * size);
  const y = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const src = i * size;
    const dst = k * size;
    for (let p = 0; p < size; p++) x[dst + p] = SCALE[set.images[src + p]];
    y[k] = set.labels[i];
  }
  return { x, y, n: idx.length };
}

/** Checks that an option is a positive integer no larger than max. */
export function checkCount(value: unknown, option: string, max: number, why: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new FsmtlError(`${option} must be a positive integer, got ${String(value)}`);
  }
  if (value > max) throw new FsmtlError(`${option}=${value} is more than the ${max} ${why}`);
  return value;
}

/** Checks that an option is an integer (seeds). */
export function checkInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new FsmtlError(`${option} must be an integer, got ${String(value)}`);
  }
  return value;
}

export function expect28(set: ImageSet, dataset: string): void {
  if (set.height !== 28 || set.width !== 28) {
    throw new FsmtlError(`${set.imagesFile}: ${dataset} images must be 28×28, got ${set.height}×${set.width}`);
  }
}
