import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { gram } from '../../src/methods/weighting/linalg.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { pcgradCoefficients } from '../../src/methods/weighting/pcgrad.js';
import { combo, ctxOf, dot64, maxAbs, maxAbsDiff, randomVec } from './helpers.js';

test('mgda: weights are the closed-form pair solution and grad = α g1 + (1−α) g2', () => {
  const rng = new Rng(21);
  const m = createWeighting('mgda');
  for (let k = 0; k < 10; k++) {
    const g1 = randomVec(rng, 30);
    const g2 = randomVec(rng, 30, 2);
    for (let i = 0; i < 30; i++) g2[i] -= 0.8 * g1[i];
    const diff = Array.from(g1, (v, i) => v - g2[i]);
    const a = Math.min(1, Math.max(0, dot64(Array.from(g2, (v, i) => v - g1[i]), g2) / dot64(diff, diff)));
    const r = m.combine([g1, g2], ctxOf({ losses: [1, 1] }), m.init(2));
    assert.ok(Math.abs(r.weights[0] - a) < 1e-9);
    assert.ok(maxAbsDiff(r.grad, combo([g1, g2], [a, 1 - a])) < 1e-5);
    assert.deepEqual(r.headScale, [1, 1]);
    assert.equal(r.solverFailures, 0);
  }
});

test('mgda: a zero gradient among the tasks gives the zero direction, no failure', () => {
  const rng = new Rng(22);
  const m = createWeighting('mgda');
  const r = m.combine([randomVec(rng, 50), randomVec(rng, 50), new Float32Array(50)], ctxOf({ losses: [1, 1, 1] }), m.init(3));
  assert.ok(maxAbs(r.grad) < 1e-6);
  assert.equal(r.solverFailures, 0);
});

test('pcgrad: the projected gradient of a conflicting pair is orthogonal to the other gradient', () => {
  const g1 = Float32Array.from([1, 0, 0.5]);
  const g2 = Float32Array.from([-1, 1, 0]);
  const grads = [g1, g2];
  assert.ok(dot64(g1, g2) < 0);
  const C = pcgradCoefficients(gram(grads), new Rng(1));
  const p1 = combo(grads, C[0]);
  const p2 = combo(grads, C[1]);
  assert.ok(Math.abs(dot64(p1, g2)) < 1e-12, 'g1′ ⟂ g2');
  assert.ok(Math.abs(dot64(p2, g1)) < 1e-12, 'g2′ ⟂ g1');
  // Exactly the conflicting component was removed: g1′ = g1 − (g1·g2/||g2||²) g2.
  const c = dot64(g1, g2) / dot64(g2, g2);
  assert.ok(maxAbsDiff(p1, Array.from(g1, (v, i) => v - c * g2[i])) < 1e-12);
  const m = createWeighting('pcgrad');
  const r = m.combine(grads, ctxOf({ losses: [1, 1] }), m.init(2));
  assert.ok(maxAbsDiff(r.grad, Array.from(p1, (v, i) => (v + p2[i]) / 2)) < 1e-6);
  assert.deepEqual(r.headScale, [1, 1]);
});

test('pcgrad: non-conflicting gradients are unchanged (result = mean)', () => {
  const grads = [Float32Array.from([1, 2, 0]), Float32Array.from([0.5, 0, 1]), Float32Array.from([1, 1, 1])];
  const m = createWeighting('pcgrad');
  const r = m.combine(grads, ctxOf({ losses: [1, 1, 1] }), m.init(3));
  assert.ok(maxAbsDiff(r.grad, combo(grads, [1 / 3, 1 / 3, 1 / 3])) < 1e-7);
  assert.ok(maxAbsDiff(r.weights, [1 / 3, 1 / 3, 1 / 3]) < 1e-15);
});

test('pcgrad: with three conflicting tasks the order comes from ctx.rng and projections use the original g_j', () => {
  const grads = [Float32Array.from([1, 0]), Float32Array.from([-0.5, 1]), Float32Array.from([-0.6, -1])];
  const orders = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const C = pcgradCoefficients(gram(grads), new Rng(seed));
    orders.add(C.map((c) => Array.from(c, (v) => v.toFixed(6)).join(',')).join(';'));
    // Every projection coefficient is of an ORIGINAL g_j (off-diagonal entries are ≥ 0 and the diagonal stays 1).
    for (let i = 0; i < 3; i++) assert.equal(C[i][i], 1);
  }
  assert.ok(orders.size > 1, 'the order of projections must depend on the rng');
  const a = pcgradCoefficients(gram(grads), new Rng(7));
  const b = pcgradCoefficients(gram(grads), new Rng(7));
  assert.deepEqual(a, b);
});
