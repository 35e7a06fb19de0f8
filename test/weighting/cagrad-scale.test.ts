// CAGrad on badly scaled task gradients (norm ratios up to 1e6), against an independent solution of
// the CAGrad dual computed here from the vectors themselves (not the Gram matrix), by golden-section
// search over the simplex in float64: min_w F(w) = g_wᵀg0 + c·||g0||·||g_w|| is convex, and so is its
// partial minimum over the second coordinate, so nested 1-D searches find it for T = 2 and 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { ctxOf, dot64 } from './helpers.js';

/** argmin of a convex f on [lo, hi] by golden-section search (to the resolution of doubles). */
function golden(f: (x: number) => number, lo: number, hi: number): { x: number; f: number } {
  const k = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 200 && b - a > 0; i++) {
    const x1 = b - k * (b - a);
    const x2 = a + k * (b - a);
    if (f(x1) <= f(x2)) b = x2;
    else a = x1;
  }
  const cands = [lo, hi, (a + b) / 2].map((x) => ({ x, f: f(x) }));
  return cands.reduce((p, q) => (q.f < p.f ? q : p));
}

/** The exact CAGrad direction d = g0 + c||g0||·g_w/||g_w|| for T = 2 or 3 gradients, in float64. */
function referenceDirection(grads: Float32Array[], c: number): Float64Array {
  const T = grads.length;
  const P = grads[0].length;
  const G = grads.map((g) => Float64Array.from(g));
  const g0 = new Float64Array(P);
  for (const g of G) for (let i = 0; i < P; i++) g0[i] += g[i] / T;
  const r = c * Math.sqrt(dot64(g0, g0));
  const gw = (w: number[]) => {
    const v = new Float64Array(P);
    for (let t = 0; t < T; t++) for (let i = 0; i < P; i++) v[i] += w[t] * G[t][i];
    return v;
  };
  const F = (w: number[]) => {
    const v = gw(w);
    return dot64(v, g0) + r * Math.sqrt(dot64(v, v));
  };
  let w: number[];
  if (T === 2) {
    const s = golden((x) => F([1 - x, x]), 0, 1).x;
    w = [1 - s, s];
  } else if (T === 3) {
    const inner = (x: number) => golden((y) => F([x, (1 - x) * y, (1 - x) * (1 - y)]), 0, 1);
    const x = golden((x) => inner(x).f, 0, 1).x;
    const y = inner(x).x;
    w = [x, (1 - x) * y, (1 - x) * (1 - y)];
  } else throw new Error('T must be 2 or 3');
  const v = gw(w);
  const n = Math.sqrt(dot64(v, v));
  return g0.map((g, i) => g + (r * v[i]) / n);
}

/** cagrad's direction with its documented 1/(1+c) rescale undone. */
function fsmtlDirection(grads: Float32Array[], c: number): Float64Array {
  const m = createWeighting('cagrad', { cagradC: c });
  const T = grads.length;
  const res = m.combine(grads, ctxOf({ losses: new Array(T).fill(1) }), m.init(T));
  assert.equal(res.solverFailures, 0);
  return Float64Array.from(res.grad, (x) => x * (1 + c));
}

test('cagrad reference: the independent solver reproduces a hand-checked badly scaled case', () => {
  const grads = [[1e-3, 0, 0], [-0.5, 1, 0], [200, -300, 1000]].map((g) => Float32Array.from(g));
  const d = referenceDirection(grads, 0.5).map((x) => x / 1.5);
  const want = [87.0686, 43.6214, 222.2222];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(d[i] - want[i]) < 1e-4, `${Array.from(d)}`);
});

test('cagrad gives the exact direction for gradients whose norms differ by 1e6 (the sqrt is not smoothed away)', () => {
  const grads = [[1e-3, 0, 0], [-0.5, 1, 0], [200, -300, 1000]].map((g) => Float32Array.from(g));
  const want = referenceDirection(grads, 0.5);
  const got = fsmtlDirection(grads, 0.5);
  const scale = Math.sqrt(dot64(want, want));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5 * scale, `got ${Array.from(got)}, want ${Array.from(want)}`);
});

test('cagrad matches the reference on random badly scaled cases (T = 2, 3; norm ratios up to 1e6)', () => {
  const rng = new Rng(71);
  for (let k = 0; k < 120; k++) {
    const T = 2 + (k % 2);
    const P = 3 + (k % 3);
    const c = [0.2, 0.5, 0.9][k % 3];
    // Norms about 1e-6, 1e-3 and 1 in turn, so that the ratio between tasks reaches 1e6.
    const grads = Array.from({ length: T }, (_, t) => {
      const s = [1e-6, 1e-3, 1][(t + k) % 3] * (1 + rng.next());
      return Float32Array.from({ length: P }, () => rng.normal() * s);
    });
    const want = referenceDirection(grads, c);
    const got = fsmtlDirection(grads, c);
    const scale = Math.sqrt(dot64(want, want));
    for (let i = 0; i < P; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5 * scale, `case ${k}: got ${Array.from(got)}, want ${Array.from(want)}`);
    // The worst-task improvement, which CAGrad maximises, agrees relative to each task's own scale.
    for (const g of grads) {
      const ng = Math.sqrt(dot64(g, g));
      assert.ok(Math.abs(dot64(g, got) - dot64(g, want)) < 1e-5 * ng * scale, `case ${k}: task improvement`);
    }
  }
});
