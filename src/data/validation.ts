// A validation split carved from the training data, so that whatever a report selects (a keep ratio,
// an epoch) is chosen on data that is neither trained on nor tested on. The split depends only on a
// fixed data seed and the fraction, never on the run seed: every method and seed sees the same one.
import { Rng } from '../util/rng.js';
import { FsmtlError } from '../util/errors.js';
import type { Benchmark, Split, TaskData } from './types.js';

export const VALIDATION_SEED = 0;

function take(s: Split, idx: Int32Array, xCache: Map<Float32Array, Float32Array>, rowX: number, rowY: number): Split {
  let x = xCache.get(s.x);
  if (!x) {
    x = new Float32Array(idx.length * rowX);
    for (let k = 0; k < idx.length; k++) x.set(s.x.subarray(idx[k] * rowX, (idx[k] + 1) * rowX), k * rowX);
    xCache.set(s.x, x);
  }
  const y = new Float32Array(idx.length * rowY);
  for (let k = 0; k < idx.length; k++) y.set(s.y.subarray(idx[k] * rowY, (idx[k] + 1) * rowY), k * rowY);
  return { x, y, n: idx.length };
}

/**
 * The benchmark with each task's `val` split carved from its training examples (a seeded random
 * `fraction`), unless it already has one. Tasks that share an input array (homogeneous benchmarks)
 * get the same examples, so that they stay aligned. fraction 0 returns the benchmark unchanged.
 */
export function withValidation(bench: Benchmark, fraction: number, labelWidth: (t: TaskData) => number): Benchmark {
  if (fraction === 0 || bench.tasks.every((t) => t.val)) return bench;
  const rowX = bench.inputShape[0] * bench.inputShape[1] * bench.inputShape[2];
  const splitOf = new Map<Float32Array, { train: Int32Array; val: Int32Array }>();
  const trainX = new Map<Float32Array, Float32Array>();
  const valX = new Map<Float32Array, Float32Array>();
  const tasks = bench.tasks.map((t): TaskData => {
    if (t.val) return t;
    let split = splitOf.get(t.train.x);
    if (!split) {
      const n = t.train.n;
      const k = Math.round(n * fraction);
      if (k < 1 || k >= n) {
        throw new FsmtlError(`validation fraction ${fraction} of task '${t.name}'s ${n} training examples leaves ${k < 1 ? 'no validation' : 'no training'} example`);
      }
      const perm = Rng.derive(VALIDATION_SEED, `validation/${bench.name}/${n}`).permutation(n);
      split = { val: perm.slice(0, k).sort(), train: perm.slice(k).sort() };
      splitOf.set(t.train.x, split);
    }
    const w = labelWidth(t);
    return { ...t, train: take(t.train, split.train, trainX, rowX, w), val: take(t.train, split.val, valX, rowX, w) };
  });
  return {
    ...bench,
    tasks,
    provenance: [...bench.provenance, `validation: ${fraction} of each task's training examples (seeded, data seed ${VALIDATION_SEED}), the rest trains`],
  };
}
