import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { runTraining } from '../../src/experiments/run.js';
import { createMethod, methodNames } from '../../src/methods/registry.js';
import { paramSpecs } from '../../src/model/layers.js';
import { seHidden, squeezeExcitation } from '../../src/model/squeeze-excitation.js';
import { mlpExtractor, lenetExtractor } from '../../src/model/extractor.js';
import type { TaskMask } from '../../src/sparse/masks.js';
import { METHOD_NAMES, parseTrainConfig } from '../../src/train/config.js';
import { smallHetero3 } from '../fixtures/configs.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

const specs = paramSpecs([
  { kind: 'dense', name: 'a', inputs: 5, units: 20 },
  { kind: 'dense', name: 'b', inputs: 20, units: 10 },
]);
const noFisher = () => {
  throw new Error('unit-mask methods never ask for Fisher information');
};
/** The method's masks over `epochs` epochs, fed back as the trainer does. */
function maskHistory(method: string, epochs: number, keep: number): (TaskMask[] | null)[] {
  const m = createMethod(parseTrainConfig({ method, epochs, keep, seed: 3 }));
  const out: (TaskMask[] | null)[] = [];
  let state = m.init(2);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const update = m.masksFor({ epoch, specs, numTasks: 2, fisher: noFisher }, state);
    assert.equal(update.changed, update.masks !== state.masks, 'changed says whether the masks were replaced');
    state = update.state;
    out.push(update.masks);
  }
  return out;
}
test('sharing methods keep everything in their explicit state: a fresh instance resumes a run mid-way with the same masks', () => {
  const fisher = (t: number, epoch: number) => specs.map((s, i) => Float32Array.from({ length: s.size }, (_, j) => ((j * 13 + i * 3 + t * 7 + epoch * 5) % 11) + 1));
  for (const method of ['mr', 'rs', 'tr', 'fs']) {
    const config = parseTrainConfig({ method, epochs: 6, keep: 0.6, seed: 5, fs: { warmupEpochs: 1, smoothing: 0.5 } });
    const walk = (from: number, to: number, state: ReturnType<ReturnType<typeof createMethod>['init']>) => {
      const m = createMethod(config); // a new instance each time: nothing may hide in a closure
      const masks: (TaskMask[] | null)[] = [];
      for (let epoch = from; epoch < to; epoch++) {
        state = m.masksFor({ epoch, specs, numTasks: 2, fisher: (t) => fisher(t, epoch) }, state).state;
        masks.push(state.masks);
      }
      return { masks, state };
    };
    const whole = walk(0, 6, createMethod(config).init(2));
    const first = walk(0, 3, createMethod(config).init(2));
    const rest = walk(3, 6, first.state);
    assert.deepEqual([...first.masks, ...rest.masks], whole.masks, `${method}: resumed = uninterrupted`);
    assert.ok(whole.masks[5], `${method} has masks by the end`);
  }
});

/** Units kept by a task = its bias mask. */
const unitsOf = (m: TaskMask, layer: number) => [...m[2 * layer + 1]];

test('every config method name is registered, and only those', () => {
  assert.deepEqual([...METHOD_NAMES].sort(), methodNames().sort());
});

test('TR: fixed unit subsets from the first epoch at p of each layer', () => {
  const h = maskHistory('tr', 4, 0.7);
  assert.ok(h[0]);
  for (const m of h) assert.equal(m, h[0], 'the same masks every epoch');
  for (const task of h[0]!) {
    assert.equal(unitsOf(task, 0).filter(Boolean).length, 14);
    assert.equal(unitsOf(task, 1).filter(Boolean).length, 7);
  }
  assert.notDeepEqual(unitsOf(h[0]![0], 0), unitsOf(h[0]![1], 0));
});

test('MR: subsets roam during the first half of training until every task has used every unit, then stay', () => {
  const h = maskHistory('mr', 6, 0.7); // roaming epochs 1..3
  for (let e = 1; e <= 3; e++) assert.notDeepEqual(h[e], h[e - 1], `epoch ${e} roams`);
  assert.equal(h[4], h[3]);
  assert.equal(h[5], h[3]);
  for (let t = 0; t < 2; t++) {
    for (let l = 0; l < 2; l++) {
      const visited = h.slice(0, 4).reduce((acc, m) => acc.map((v, u) => v | unitsOf(m![t], l)[u]), unitsOf(h[0]![t], l));
      assert.ok(visited.every((v) => v === 1), `task ${t} visited every unit of layer ${l}`);
      for (const m of h) assert.equal(unitsOf(m![t], l).filter(Boolean).length, l === 0 ? 14 : 7);
    }
  }
});

test('SE: each unit is scaled by sigmoid(W2·relu(W1·a + b1) + b2), with a spatial mean as squeeze on conv outputs', () => {
  const se = squeezeExcitation(2);
  const ext = mlpExtractor([1, 1, 3], [4]);
  const aspecs = se.specs(ext);
  assert.deepEqual(aspecs.map((s) => s.shape), [[4, 2], [2], [2, 4], [4]]);
  assert.equal(seHidden(84, 16), 5);
  assert.equal(seHidden(6, 16), 1);
  const w1 = [0.5, -1, 0.2, 0.3, -0.4, 0.1, 1, 0.6];
  const b1 = [0.1, -0.2];
  const w2 = [1, -1, 0.5, 0.2, -0.3, 0.4, 2, -0.5];
  const b2 = [0, 0.1, -0.1, 0.2];
  const a = [1, 2, 0, 0.5];
  const params = [tf.tensor2d(w1, [4, 2]), tf.tensor1d(b1), tf.tensor2d(w2, [2, 4]), tf.tensor1d(b2)];
  const out = se.apply(0, tf.tensor2d(a, [1, 4]), params, aspecs).dataSync();
  const hidden = [0, 1].map((j) => Math.max(0, a.reduce((s, v, i) => s + v * w1[i * 2 + j], b1[j])));
  const expected = a.map((v, c) => v / (1 + Math.exp(-(hidden[0] * w2[c] + hidden[1] * w2[4 + c] + b2[c]))));
  expected.forEach((e, c) => assert.ok(Math.abs(out[c] - e) < 1e-6, `unit ${c}: ${out[c]} vs ${e}`));

  // Conv: the gate of a channel comes from its spatial mean and scales the whole map.
  const conv = lenetExtractor([16, 16, 1]);
  const cspecs = se.specs(conv);
  const cparams = cspecs.map((s) => tf.fill(s.shape, s.role === 'bias' ? 0 : 0.1));
  const map = tf.randomUniform([2, 3, 3, 6], 0, 1, 'float32', 1);
  const gated = se.apply(0, map, cparams.slice(0, 4), cspecs);
  const mean = tf.mean(map, [1, 2]);
  const gate = tf.sigmoid(tf.matMul(tf.relu(tf.matMul(mean, cparams[0] as tf.Tensor2D)), cparams[2] as tf.Tensor2D));
  const ref = tf.mul(map, tf.reshape(gate, [2, 1, 1, 6]));
  assert.ok(tf.max(tf.abs(tf.sub(gated, ref))).dataSync()[0] < 1e-6);
});

test('TR, MR and SE train end to end on both benchmarks (any weighting), reproducibly and without leaks', async () => {
  const multimnist = { benchmark: 'multimnist' as const, trainSize: 300, testPerTask: 200, hidden: [32, 32], epochs: 3, batchSize: 50, lr: 5e-3 };
  for (const [method, weighting] of [['tr', 'ew'], ['mr', 'pcgrad'], ['se', 'cagrad']] as const) {
    for (const base of [smallHetero3, multimnist]) {
      const config = { ...base, method, weighting, keep: 0.7 };
      const r = await runTraining(config);
      assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch, `${method} on ${r.benchmark.name}: no leak`);
      assert.ok(r.average.accuracy > 0.15, `${method} on ${r.benchmark.name}: accuracy ${r.average.accuracy}`);
      assert.equal(r.masks !== null, method !== 'se');
      if (method === 'tr') {
        const again = await runTraining(config);
        assert.deepEqual(again.perTask, r.perTask, 'same seed, same result');
      }
    }
  }
});
