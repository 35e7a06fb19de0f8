// Shared helpers of the weighting tests (not a test file itself).
import { Rng } from '../../src/util/rng.js';
import type { WeightingContext } from '../../src/methods/weighting/types.js';

export function randomVec(rng: Rng, P: number, scale = 1): Float32Array {
  const v = new Float32Array(P);
  for (let i = 0; i < P; i++) v[i] = rng.normal() * scale;
  return v;
}

/** T random vectors sharing a common component of weight `shared` (so they are correlated). */
export function correlatedGrads(rng: Rng, T: number, P: number, shared = 0.5): Float32Array[] {
  const common = randomVec(rng, P);
  const out: Float32Array[] = [];
  for (let t = 0; t < T; t++) {
    const scale = 0.3 + 2 * rng.next();
    const sign = rng.next() < 0.3 ? -1 : 1;
    const v = randomVec(rng, P);
    for (let i = 0; i < P; i++) v[i] = scale * (sign * shared * common[i] + v[i]);
    out.push(v);
  }
  return out;
}

export function ctxOf(over: Partial<WeightingContext> & { losses: number[] }, seed = 1): WeightingContext {
  return { step: 0, epoch: 0, rng: new Rng(seed), lastShared: [0, 0], ...over };
}

export function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function combo(grads: Float32Array[], w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(grads[0].length);
  grads.forEach((g, t) => {
    for (let i = 0; i < g.length; i++) out[i] += w[t] * g[i];
  });
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
