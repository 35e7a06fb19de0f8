import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { adam } from '../../src/optim/adam.js';
import { maskUpdates } from '../../src/optim/freeze.js';
import { chain, stateTensors } from '../../src/optim/transform.js';

test('adam: first two steps match the formulas', async () => {
  await initEngine({ backend: 'cpu' });
  const lr = 0.1;
  const opt = adam(lr);
  const p = [tf.tensor1d([1, -2])];
  let state = opt.init(p);
  const g1 = [tf.tensor1d([0.5, -4])];
  const r1 = opt.update(g1, state, p);
  // Step 1: m̂ = g, v̂ = g², update = −lr·g/(|g| + ε') ≈ −lr·sign(g)
  const u1 = r1.updates[0].dataSync();
  assert.ok(Math.abs(u1[0] + lr) < 1e-6 && Math.abs(u1[1] - lr) < 1e-6, `${u1}`);
  state = r1.state;
  const g2 = [tf.tensor1d([1.5, 0])];
  const u2 = opt.update(g2, state, p).updates[0].dataSync();
  // By hand: m = 0.9·0.1·g1 … → m̂ = (0.09·g1 + 0.1·g2)/0.19, v̂ = (0.000999·g1² + 0.001·g2²)/0.001999
  for (let i = 0; i < 2; i++) {
    const a = [0.5, -4][i];
    const b = [1.5, 0][i];
    const mhat = (0.09 * a + 0.1 * b) / (1 - 0.9 ** 2);
    const vhat = (0.999 * 0.001 * a * a + 0.001 * b * b) / (1 - 0.999 ** 2);
    assert.ok(Math.abs(u2[i] - (-lr * mhat) / Math.sqrt(vhat)) < 1e-5, `component ${i}: ${u2[i]}`);
  }
});

test('chain applies steps in order and maskUpdates zeroes frozen entries', async () => {
  await initEngine({ backend: 'cpu' });
  const mask = tf.tensor1d([1, 0, 1]);
  const opt = chain(adam(1), maskUpdates(() => [mask]));
  const p = [tf.zeros([3])];
  const { updates, state } = opt.update([tf.tensor1d([2, 3, -1])], opt.init(p), p);
  const u = updates[0].dataSync();
  assert.ok(Math.abs(u[0] + 1) < 1e-6);
  assert.ok(u[1] === 0, `frozen entry moved: ${u[1]}`); // −0 counts as zero
  assert.ok(Math.abs(u[2] - 1) < 1e-6);
  // Adam's state is carried inside the chain's state (m and v for the one parameter)
  assert.equal(stateTensors(state).length, 2);
});

test('maskUpdates leaves an update alone where the mask is null', async () => {
  await initEngine({ backend: 'cpu' });
  const t = maskUpdates(() => [null]);
  const u = t.update([tf.tensor1d([4, 5])], null, []).updates[0].dataSync();
  assert.deepEqual([...u], [4, 5]);
});
