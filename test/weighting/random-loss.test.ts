import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { combo, ctxOf, maxAbsDiff, randomVec } from './helpers.js';

const fixed = () => {
  const rng = new Rng(51);
  return [randomVec(rng, 16), randomVec(rng, 16), randomVec(rng, 16)];
};

for (const name of ['rlw', 'rgw']) {
  test(`${name}: weights are a softmax of normal draws from ctx.rng, positive, sum 1, reproducible`, () => {
    const grads = fixed();
    const m = createWeighting(name);
    const rng = new Rng(99);
    const ref = new Rng(99);
    const seen = new Set<string>();
    for (let step = 0; step < 20; step++) {
      const r = m.combine(grads, ctxOf({ losses: [1, 1, 1], step, rng }), m.init(3));
      const z = [ref.normal(), ref.normal(), ref.normal()];
      const e = z.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      assert.ok(maxAbsDiff(r.weights, e.map((v) => v / s)) < 1e-12);
      assert.ok(r.weights.every((w) => w > 0));
      assert.ok(Math.abs(r.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      assert.ok(maxAbsDiff(r.grad, combo(grads, r.weights)) < 1e-5);
      assert.deepEqual(r.headScale, name === 'rlw' ? r.weights.map((w) => 3 * w) : [1, 1, 1]);
      seen.add(r.weights.join(','));
    }
    assert.equal(seen.size, 20, 'a fresh draw every step');
  });
}

test('uw: a task with persistently higher loss gets a lower weight', () => {
  const grads = fixed();
  const m = createWeighting('uw');
  let state = m.init(3);
  const first = m.combine(grads, ctxOf({ losses: [1, 3, 0.5] }), state);
  assert.deepEqual(first.weights, [1 / 3, 1 / 3, 1 / 3], 'mean at s = 0');
  state = first.state;
  let last = first;
  for (let step = 1; step < 500; step++) {
    last = m.combine(grads, ctxOf({ losses: [1, 3, 0.5], step }), state);
    state = last.state;
  }
  const [w0, w1, w2] = last.headScale;
  assert.ok(w1 < w0 && w0 < w2, `weights ${last.headScale}`);
  assert.ok(maxAbsDiff(last.weights, last.headScale.map((w) => w / 3)) < 1e-15);
  assert.ok(maxAbsDiff(last.grad, combo(grads, last.weights)) < 1e-5);
});

test('dwa: equal weights in epochs 0–1; then the task whose epoch loss fell less gets more weight', () => {
  const grads = fixed().slice(0, 2);
  const m = createWeighting('dwa', { dwaTemperature: 2 });
  let state = m.init(2);
  const lossAt = (epoch: number) => (epoch === 0 ? [1, 1] : epoch === 1 ? [0.5, 0.9] : [0.4, 0.8]);
  let step = 0;
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let i = 0; i < 4; i++) {
      // Within an epoch the batch losses vary; their mean is lossAt(epoch).
      const l = lossAt(epoch).map((v) => v * (i % 2 === 0 ? 0.9 : 1.1));
      const r = m.combine(grads, ctxOf({ losses: l, epoch, step: step++ }), state);
      assert.deepEqual(r.headScale, [1, 1]);
      assert.deepEqual(r.weights, [0.5, 0.5]);
      state = r.state;
    }
  }
  const r = m.combine(grads, ctxOf({ losses: lossAt(2), epoch: 2, step }), state);
  const e = [Math.exp(0.5 / 1 / 2), Math.exp(0.9 / 1 / 2)];
  const expected = e.map((v) => (2 * v) / (e[0] + e[1]));
  assert.ok(maxAbsDiff(r.headScale, expected) < 1e-9, `${r.headScale} vs ${expected}`);
  assert.ok(r.headScale[1] > r.headScale[0]);
  assert.ok(maxAbsDiff(r.grad, combo(grads, r.weights)) < 1e-5);
});

test('gradnorm: the task whose loss falls slower gets a larger weight over repeated calls', () => {
  const grads = fixed();
  const m = createWeighting('gradnorm');
  let state = m.init(3);
  const P = grads[0].length;
  let r = m.combine(grads, ctxOf({ losses: [1, 1, 1], lastShared: [P - 8, P] }), state);
  assert.deepEqual(r.headScale, [1, 1, 1]);
  state = r.state;
  for (let step = 1; step < 200; step++) {
    r = m.combine(grads, ctxOf({ losses: [0.5, 0.9, 0.5], step, lastShared: [P - 8, P] }), state);
    state = r.state;
    assert.ok(Math.abs(r.headScale.reduce((a, b) => a + b, 0) - 3) < 1e-9, 'Σ w = T');
  }
  const [w0, w1, w2] = r.headScale;
  assert.ok(w1 > w0 && w1 > w2 && w1 > 1, `weights ${r.headScale}`);
  // And the weighted last-layer gradient norms end up ordered like the training rates.
  const norm = (g: Float32Array) => Math.sqrt(g.subarray(P - 8).reduce((a, v) => a + v * v, 0));
  const G = grads.map((g, t) => r.headScale[t] * norm(g));
  assert.ok(G[1] > G[0] && G[1] > G[2], `G ${G}`);
});

test('gradnorm: at equal training rates the weights equalise the last-layer gradient norms', () => {
  const rng = new Rng(52);
  const grads = [randomVec(rng, 10, 1), randomVec(rng, 10, 3)];
  const m = createWeighting('gradnorm', { gradnormLr: 0.005 });
  let state = m.init(2);
  let r = m.combine(grads, ctxOf({ losses: [1, 1], lastShared: [0, 10] }), state);
  for (let step = 1; step < 400; step++) {
    r = m.combine(grads, ctxOf({ losses: [0.7, 0.7], step, lastShared: [0, 10] }), r.state);
  }
  const n = grads.map((g) => Math.sqrt(g.reduce((a, v) => a + v * v, 0)));
  const G = r.headScale.map((w, t) => w * n[t]);
  assert.ok(Math.abs(G[0] - G[1]) / G[0] < 0.1, `G ${G}`);
});
