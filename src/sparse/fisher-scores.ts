// Transforms of Fisher scores before top-K selection: the FS options the paper leaves open (issue #8's
// ablation). Pure functions over per-tensor score arrays, in ParamSpec order.
import type { ParamSpec } from '../model/layers.js';

export type Scores = Float32Array[];

/** Exponential moving average across mask updates: β·previous + (1 − β)·current (β = 0: no smoothing). */
export function smoothScores(previous: Scores | null, current: Scores, beta: number): Scores {
  if (!previous || beta === 0) return current;
  return current.map((c, i) => {
    const out = new Float32Array(c.length);
    const p = previous[i];
    for (let j = 0; j < c.length; j++) out[j] = beta * p[j] + (1 - beta) * c[j];
    return out;
  });
}

/**
 * Divides every layer's scores (kernel and bias together) by the layer's mean score, so that a global
 * top-K compares parameters by their importance relative to their own layer. Fisher magnitudes differ
 * by orders of magnitude between layers; without this a global top-K can empty whole layers.
 */
export function normalizeByLayer(specs: ParamSpec[], scores: Scores): Scores {
  const sums = new Map<number, { sum: number; n: number }>();
  specs.forEach((s, i) => {
    const acc = sums.get(s.layer) ?? { sum: 0, n: 0 };
    for (const v of scores[i]) acc.sum += v;
    acc.n += s.size;
    sums.set(s.layer, acc);
  });
  return scores.map((sc, i) => {
    const { sum, n } = sums.get(specs[i].layer)!;
    const mean = sum / n;
    const out = new Float32Array(sc.length);
    if (mean > 0) for (let j = 0; j < sc.length; j++) out[j] = sc[j] / mean;
    return out;
  });
}

/** Each score's quantile in [0, 1] among all of one task's scores (ties share the lower rank). */
export function quantiles(scores: Scores): Scores {
  const total = scores.reduce((a, s) => a + s.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const s of scores) {
    flat.set(s, o);
    o += s.length;
  }
  const sorted = Float32Array.from(flat).sort();
  const q = new Float32Array(total);
  for (let i = 0; i < total; i++) {
    // Rank = number of strictly smaller scores (binary search), so ties share the lower rank.
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < flat[i]) lo = mid + 1;
      else hi = mid;
    }
    q[i] = total > 1 ? lo / (total - 1) : 1;
  }
  const out: Scores = [];
  o = 0;
  for (const s of scores) {
    out.push(q.subarray(o, o + s.length).slice());
    o += s.length;
  }
  return out;
}

/**
 * Overlap control: task t's selection score is its quantile minus λ times the mean quantile of the
 * other tasks, so that with λ > 0 a parameter important to t but not to the others is preferred over
 * one important to all. λ = 0 gives back t's own ranking (as quantiles).
 */
export function diversify(allScores: Scores[], lambda: number): Scores[] {
  const q = allScores.map(quantiles);
  const T = q.length;
  if (T < 2 || lambda === 0) return q;
  return q.map((qt, t) =>
    qt.map((part, i) => {
      const out = new Float32Array(part.length);
      for (let j = 0; j < part.length; j++) {
        let others = 0;
        for (let s = 0; s < T; s++) if (s !== t) others += q[s][i][j];
        out[j] = part[j] - (lambda * others) / (T - 1);
      }
      return out;
    }),
  );
}

/** Keep ratio at epoch `epoch`: p from the first mask ('fixed'), or annealed linearly from 1 to p over `annealEpochs` mask epochs. */
export function keepAt(epoch: number, warmupEpochs: number, keep: number, schedule: 'fixed' | 'anneal', annealEpochs: number): number {
  if (schedule === 'fixed') return keep;
  const progress = Math.min(1, (epoch - warmupEpochs + 1) / annealEpochs);
  return 1 - (1 - keep) * progress;
}
