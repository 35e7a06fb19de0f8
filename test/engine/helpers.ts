// Helpers for the engine tests: run the same computation on the cpu and wasm backends and compare.
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/index.js';
import { Rng } from '../../src/util/rng.js';

/** Seeded standard-normal data. */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

export const size = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);

/** Runs `fn` (which must build its tensors from plain arrays) on `backend`; returns the outputs' values. */
export async function runOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = fn();
    return Array.isArray(r) ? r : [r];
  });
  const values = outs.map((t) => t.dataSync() as Float32Array);
  const shapes = outs.map((t) => t.shape.join('x'));
  tf.dispose(outs);
  return values.map((v, i) => Object.assign(new Float32Array(v), { shapeKey: shapes[i] }));
}

/** max |a − b| / max(1, max |b|): error relative to the reference's scale. */
export function relError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'sizes differ');
  let scale = 1;
  let err = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err / scale;
}

export const TOL = 1e-4;

/** Computes `fn` on cpu and on wasm (with fsmtl's kernels) and asserts the outputs agree. */
export async function assertParity(label: string, fn: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<number> {
  const ref = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  assert.equal(got.length, ref.length, `${label}: number of outputs`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] as Float32Array & { shapeKey?: string };
    const g = got[i] as Float32Array & { shapeKey?: string };
    assert.equal(g.shapeKey, r.shapeKey, `${label}: output ${i} shape`);
    const e = relError(g, r);
    worst = Math.max(worst, e);
    assert.ok(e <= tol, `${label}: output ${i} differs from cpu by ${e.toExponential(2)} (tolerance ${tol})`);
  }
  return worst;
}
