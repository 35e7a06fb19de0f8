import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { gram, quadForm } from '../../src/methods/weighting/linalg.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { cagradSolve } from '../../src/methods/weighting/cagrad.js';
import { nashSolve, NASH_TOL } from '../../src/methods/weighting/nash.js';
import { combo, correlatedGrads, ctxOf, dot64, maxAbsDiff, randomVec } from './helpers.js';

const conflicting = () => [Float32Array.from([1, 0.1, 0]), Float32Array.from([-0.8, 1, 0.2]), Float32Array.from([0.1, -0.3, 2])];

test('cagrad with c = 0 is exactly the mean gradient', () => {
  const rng = new Rng(31);
  const grads = correlatedGrads(rng, 4, 100);
  const ew = createWeighting('ew');
  const ca = createWeighting('cagrad', { cagradC: 0 });
  const a = ew.combine(grads, ctxOf({ losses: [1, 1, 1, 1] }), ew.init(4));
  const b = ca.combine(grads, ctxOf({ losses: [1, 1, 1, 1] }), ca.init(4));
  assert.deepEqual(b.grad, a.grad);
  assert.deepEqual(b.weights, [0.25, 0.25, 0.25, 0.25]);
});

test('cagrad with c > 0 raises the worst task improvement min_t g_tᵀd above that of the mean', () => {
  const grads = conflicting();
  const g0 = combo(grads, [1 / 3, 1 / 3, 1 / 3]);
  const worstMean = Math.min(...grads.map((g) => dot64(g, g0)));
  for (const c of [0.2, 0.4, 0.8]) {
    const m = createWeighting('cagrad', { cagradC: c });
    const r = m.combine(grads, ctxOf({ losses: [1, 1, 1] }), m.init(3));
    assert.equal(r.solverFailures, 0);
    const d = Array.from(r.grad, (v) => v * (1 + c)); // undo the documented 1/(1+c) rescale
    const worst = Math.min(...grads.map((g) => dot64(g, d)));
    assert.ok(worst > worstMean + 1e-3, `c=${c}: ${worst} vs mean ${worstMean}`);
    // d stays in the ball ||d − g0|| ≤ c||g0||.
    const diff = d.map((v, i) => v - g0[i]);
    assert.ok(Math.sqrt(dot64(diff, diff)) <= c * Math.sqrt(dot64(g0, g0)) * (1 + 1e-5));
  }
});

test('cagrad solver reaches the minimum of its objective (compared with a fine grid on the simplex)', () => {
  const rng = new Rng(32);
  for (let k = 0; k < 8; k++) {
    const grads = k === 0 ? conflicting() : correlatedGrads(rng, 3, 20, 1);
    const K = gram(grads);
    const c = 0.4;
    const b = [1 / 3, 1 / 3, 1 / 3];
    const r = cagradSolve(K, c);
    assert.ok(r.converged, `case ${k}`);
    const F = (w: number[]) => quadForm(K, w.map((v, t) => v + b[t])) / 2 - quadForm(K, w) / 2 - quadForm(K, b) / 2 + c * Math.sqrt(quadForm(K, b)) * Math.sqrt(Math.max(quadForm(K, w), 0));
    let best = Infinity;
    const n = 200;
    for (let i = 0; i <= n; i++) for (let j = 0; i + j <= n; j++) best = Math.min(best, F([i / n, j / n, (n - i - j) / n]));
    assert.ok(F(Array.from(r.w)) <= best + 1e-9 * quadForm(K, b), `case ${k}: ${F(Array.from(r.w))} > grid ${best}`);
  }
});

test('nash: α > 0 solves (GᵀG)α = 1/α on random well-conditioned cases; weights are α / Σα', () => {
  const rng = new Rng(41);
  const m = createWeighting('nash');
  for (let k = 0; k < 40; k++) {
    const T = 2 + (k % 6);
    const grads = k % 2 === 0 ? Array.from({ length: T }, () => randomVec(rng, 60, 0.1 + 5 * rng.next())) : correlatedGrads(rng, T, 60, 0.6);
    const K = gram(grads);
    const s = nashSolve(K, 20);
    assert.ok(s.alpha, `case ${k}: no solution (residual ${s.residual})`);
    const a = s.alpha!;
    assert.ok(a.every((v) => v > 0));
    for (let t = 0; t < T; t++) {
      const Ka = K[t].reduce((acc, v, j) => acc + v * a[j], 0);
      assert.ok(Math.abs(Ka - 1 / a[t]) < 1e-6 / a[t], `case ${k}, task ${t}: relative residual`);
    }
    const r = m.combine(grads, ctxOf({ losses: new Array(T).fill(1) }), m.init(T));
    const sum = a.reduce((x, y) => x + y, 0);
    assert.ok(maxAbsDiff(r.weights, Array.from(a, (v) => v / sum)) < 1e-9);
    assert.equal(r.solverFailures, 0);
    assert.ok(maxAbsDiff(r.grad, combo(grads, r.weights)) < 1e-4);
  }
});

test('nash: orthogonal gradients give α_t = 1/||g_t|| (closed form)', () => {
  const grads = [Float32Array.from([2, 0, 0]), Float32Array.from([0, 0.5, 0]), Float32Array.from([0, 0, 4])];
  const s = nashSolve(gram(grads), 20);
  assert.ok(maxAbsDiff(s.alpha!, [0.5, 2, 0.25]) < 1e-9);
});

test('nash: ill-posed cases (opposite gradients, a zero gradient, a vanishing positive combination) fall back to EW and count a failure', () => {
  const rng = new Rng(42);
  const g = randomVec(rng, 40);
  const h = randomVec(rng, 40);
  const cases: Float32Array[][] = [
    [g, g.map((v) => -v)],
    [g, new Float32Array(40), h],
    [g, h, g.map((v, i) => -(v + h[i]))],
    [new Float32Array(40), new Float32Array(40)],
  ];
  const m = createWeighting('nash');
  for (const [k, grads] of cases.entries()) {
    const T = grads.length;
    const r = m.combine(grads, ctxOf({ losses: new Array(T).fill(1) }), m.init(T));
    assert.equal(r.solverFailures, 1, `case ${k}`);
    assert.deepEqual(r.weights, new Array(T).fill(1 / T));
    assert.ok(maxAbsDiff(r.grad, combo(grads, r.weights)) < 1e-6);
    assert.ok(r.grad.every((v) => Number.isFinite(v)));
  }
  assert.ok(NASH_TOL <= 1e-6);
});
