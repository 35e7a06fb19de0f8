import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import {
  dot,
  gram,
  linearCombination,
  matVec,
  minNorm2,
  minNormElement,
  projectSimplex,
  quadForm,
  solveDense,
} from '../../src/methods/weighting/linalg.js';
import { correlatedGrads, dot64, combo, maxAbsDiff, randomVec } from './helpers.js';

test('dot and gram match a naive float64 sum, including the tail of a block', () => {
  const rng = new Rng(3);
  const grads = [randomVec(rng, 4096 * 2 + 7), randomVec(rng, 4096 * 2 + 7), randomVec(rng, 4096 * 2 + 7)];
  const K = gram(grads);
  for (let s = 0; s < 3; s++) {
    for (let t = 0; t < 3; t++) {
      const ref = dot64(grads[s], grads[t]);
      assert.ok(Math.abs(K[s][t] - ref) <= 1e-9 * Math.abs(ref) + 1e-9, `K[${s}][${t}]`);
    }
  }
  assert.ok(Math.abs(dot(grads[0], grads[1], 5, 11) - dot64(grads[0].subarray(5, 11), grads[1].subarray(5, 11))) < 1e-12);
});

test('linearCombination for T = 2..6 matches the float64 reference', () => {
  const rng = new Rng(4);
  for (let T = 1; T <= 6; T++) {
    const grads = correlatedGrads(rng, T, 33);
    const w = Array.from({ length: T }, () => rng.normal());
    const out = linearCombination(grads, w);
    assert.equal(out.length, 33);
    assert.ok(maxAbsDiff(out, combo(grads, w)) < 1e-5, `T=${T}`);
  }
});

test('solveDense solves a random system and reports a singular one', () => {
  const rng = new Rng(5);
  const A = Array.from({ length: 5 }, () => Array.from({ length: 5 }, () => rng.normal()));
  const x = [1, -2, 3, 0.5, 4];
  const b = A.map((row) => dot64(row, x));
  const got = solveDense(A, b)!;
  assert.ok(maxAbsDiff(got, x) < 1e-9);
  assert.equal(solveDense([[1, 2], [2, 4]], [1, 1]), null);
});

test('projectSimplex: result on the simplex, fixed points kept, known case', () => {
  const p = projectSimplex([0.5, 0.2, 0.3]);
  assert.ok(maxAbsDiff(p, [0.5, 0.2, 0.3]) < 1e-15);
  assert.ok(maxAbsDiff(projectSimplex([2, 0, -1]), [1, 0, 0]) < 1e-15);
  assert.ok(maxAbsDiff(projectSimplex([1, 1, -5]), [0.5, 0.5, 0]) < 1e-15);
});

test('minNorm2 is the closed-form segment minimiser', () => {
  // a = (1,0), b = (0,1): midpoint.
  assert.equal(minNorm2(1, 0, 1), 0.5);
  // b = 2a: nearest point is a.
  assert.equal(minNorm2(1, 2, 4), 1);
});

test('min-norm element of two vectors matches the closed form (several random pairs, clamped and interior)', () => {
  const rng = new Rng(11);
  for (let k = 0; k < 40; k++) {
    const P = 20;
    const g1 = randomVec(rng, P, 0.2 + 3 * rng.next());
    const g2 = randomVec(rng, P, 0.2 + 3 * rng.next());
    if (k % 3 === 0) for (let i = 0; i < P; i++) g2[i] = 0.3 * g1[i] + 0.05 * g2[i]; // clamp region
    if (k % 3 === 1) for (let i = 0; i < P; i++) g2[i] = -0.7 * g1[i] + 0.5 * g2[i]; // conflicting
    const diff = Array.from(g1, (v, i) => v - g2[i]);
    const expected = Math.min(1, Math.max(0, dot64(Array.from(g2, (v, i) => v - g1[i]), g2) / dot64(diff, diff)));
    const r = minNormElement(gram([g1, g2]));
    assert.ok(r.converged);
    assert.ok(Math.abs(r.alpha[0] - expected) < 1e-9, `pair ${k}: ${r.alpha[0]} vs ${expected}`);
    assert.ok(Math.abs(r.alpha[0] + r.alpha[1] - 1) < 1e-12);
  }
});

test('min-norm element of 3..8 vectors satisfies the KKT conditions g_tᵀd ≥ ||d||² − tol', () => {
  const rng = new Rng(12);
  for (let k = 0; k < 60; k++) {
    const T = 3 + (k % 6);
    const grads = correlatedGrads(rng, T, 15 + (k % 4) * 10, k % 2 === 0 ? 0.3 : 1.5);
    const K = gram(grads);
    const r = minNormElement(K);
    assert.ok(r.converged, `case ${k}: not converged, gap ${r.gap}`);
    assert.ok(r.alpha.every((a) => a >= 0));
    assert.ok(Math.abs(r.alpha.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    const d = combo(grads, r.alpha);
    const dd = dot64(d, d);
    const scale = Math.max(...grads.map((g) => dot64(g, g)));
    for (let t = 0; t < T; t++) {
      assert.ok(dot64(grads[t], d) >= dd - 1e-6 * scale, `case ${k}, task ${t}: ${dot64(grads[t], d)} < ${dd}`);
    }
    // And the support: tasks with α_t > 0 hold with equality (complementary slackness).
    for (let t = 0; t < T; t++) {
      if (r.alpha[t] > 1e-6) assert.ok(Math.abs(dot64(grads[t], d) - dd) < 1e-5 * scale, `slack ${k},${t}`);
    }
  }
});

test('min-norm element with a zero vector among the inputs is the zero vector', () => {
  const rng = new Rng(13);
  const grads = [randomVec(rng, 10), new Float32Array(10), randomVec(rng, 10)];
  const K = gram(grads);
  const r = minNormElement(K);
  assert.ok(r.converged);
  assert.ok(quadForm(K, r.alpha) < 1e-20);
  assert.ok(Math.abs(r.alpha[1] - 1) < 1e-9);
  assert.ok(matVec(K, r.alpha).every((v) => Number.isFinite(v)));
});

test('min-norm element converges on nearly parallel (ill-conditioned) gradients', () => {
  const rng = new Rng(14);
  for (let k = 0; k < 30; k++) {
    const T = 3 + (k % 6);
    const grads = correlatedGrads(rng, T, 30, 10);
    const r = minNormElement(gram(grads));
    assert.ok(r.converged, `case ${k}: gap ${r.gap} after ${r.iterations}`);
  }
});
