import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { FsmtlError } from '../../src/util/errors.js';
import { createWeighting, weightingNames } from '../../src/methods/weighting/registry.js';
import type { CombineResult } from '../../src/methods/weighting/types.js';
import { combo, correlatedGrads, ctxOf, maxAbs, maxAbsDiff } from './helpers.js';

const NAMES = [
  'ew', 'gradnorm', 'mgda-ub', 'mgda', 'pcgrad', 'cagrad', 'rlw', 'rgw', 'nash', 'uw', 'dwa',
  'imtl', 'gradvac', 'aligned-mtl', 'famo', 'db-mtl', 'fairgrad', 'stch', 'upgrad', 'graddrop', 'moco',
];
/** The methods whose gradient is not Σ weights·g of the call's gradients (masks, tracked gradients). */
const NOT_LINEAR = ['db-mtl', 'graddrop', 'moco'];

test('registry lists every method and rejects an unknown name with the list', () => {
  assert.deepEqual(weightingNames(), NAMES);
  for (const n of NAMES) {
    const m = createWeighting(n);
    assert.equal(m.name, n);
    assert.ok(m.summary.length > 10);
  }
  assert.throws(() => createWeighting('nope'), (e: unknown) => e instanceof FsmtlError && /nope/.test(e.message) && /mgda/.test(e.message) && /gradnorm/.test(e.message));
});

test('ew is the mean', () => {
  const grads = [Float32Array.from([1, 2]), Float32Array.from([3, -2]), Float32Array.from([2, 3])];
  const m = createWeighting('ew');
  const r = m.combine(grads, ctxOf({ losses: [1, 1, 1] }), m.init(3));
  assert.ok(maxAbsDiff(r.grad, [2, 1]) < 1e-7);
  assert.deepEqual(r.headScale, [1, 1, 1]);
});

/** Runs `steps` calls of a fresh instance over epochs, returns every result. */
function run(name: string, grads: Float32Array[], seed: number, steps = 12): CombineResult<unknown>[] {
  const m = createWeighting(name);
  const T = grads.length;
  const rng = new Rng(seed);
  let state = m.init(T);
  const out: CombineResult<unknown>[] = [];
  for (let step = 0; step < steps; step++) {
    const losses = grads.map((_, t) => 1 / (1 + step * (t + 1) * 0.1));
    // MGDA-UB also reads representation gradients; the parameter gradients stand in for them here.
    const r = m.combine(grads, { step, epoch: Math.floor(step / 3), losses, rng, lastShared: [0, 10], representationGrads: grads }, state);
    state = r.state;
    out.push(r);
  }
  return out;
}

for (const name of NAMES) {
  test(`${name}: length P, grad = Σ weights·g (or flagged otherwise), deterministic given the seed`, () => {
    const grads = correlatedGrads(new Rng(61), 3, 37, 0.8);
    const a = run(name, grads, 5);
    const b = run(name, grads, 5);
    for (let i = 0; i < a.length; i++) {
      assert.equal(a[i].grad.length, 37);
      assert.equal(a[i].headScale.length, 3);
      assert.equal(a[i].weights.length, 3);
      assert.deepEqual(a[i].grad, b[i].grad);
      assert.deepEqual(a[i].weights, b[i].weights);
      assert.deepEqual(a[i].headScale, b[i].headScale);
      if (NOT_LINEAR.includes(name)) assert.equal(createWeighting(name).linearInGrads, false);
      else assert.ok(maxAbsDiff(a[i].grad, combo(grads, a[i].weights)) < 1e-5 * maxAbs(grads[0]) + 1e-6);
      assert.ok(a[i].headScale.every((h) => h > 0 && Number.isFinite(h)));
    }
  });

  test(`${name}: zero gradients give a finite zero result without throwing`, () => {
    const grads = [new Float32Array(20), new Float32Array(20), new Float32Array(20)];
    for (const r of run(name, grads, 1, 7)) {
      assert.equal(r.grad.length, 20);
      assert.ok(r.grad.every((v) => v === 0));
      assert.ok(r.weights.every((v) => Number.isFinite(v)));
      assert.ok(r.headScale.every((v) => Number.isFinite(v)));
    }
  });

  test(`${name}: identical task gradients give that gradient back (the EW scale convention)`, () => {
    const g = correlatedGrads(new Rng(62), 1, 25)[0];
    const grads = [g, Float32Array.from(g), Float32Array.from(g), Float32Array.from(g)];
    const m = createWeighting(name);
    const r = m.combine(grads, ctxOf({ losses: [1, 1, 1, 1], lastShared: [0, 25], representationGrads: grads }), m.init(4));
    assert.ok(maxAbsDiff(r.grad, g) < 1e-5 * maxAbs(g), `${name}`);
    assert.equal(r.solverFailures, 0);
  });
}
