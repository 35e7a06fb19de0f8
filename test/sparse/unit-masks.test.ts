import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { cnnExtractor, lenetExtractor, mlpExtractor, type Extractor } from '../../src/model/extractor.js';
import { initParams } from '../../src/model/init.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initRoaming, roam, roamingDone } from '../../src/sparse/roaming.js';
import { layerUnits, randomUnitMasks, unitMaskToParamMask, type UnitMask } from '../../src/sparse/unit-masks.js';
import { Rng } from '../../src/util/rng.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

const ones = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

test('layerUnits reads each layer\'s output units; unitMaskToParamMask keeps exactly the kept units\' weights and biases', () => {
  const specs = paramSpecs([
    { kind: 'dense', name: 'a', inputs: 3, units: 4 },
    { kind: 'dense', name: 'b', inputs: 4, units: 2 },
  ]);
  assert.deepEqual(layerUnits(specs), [4, 2]);
  const m = unitMaskToParamMask(specs, [Uint8Array.from([1, 0, 0, 1]), Uint8Array.from([0, 1])]);
  // kernel a is [3, 4] row-major: columns 0 and 3 of every row.
  assert.deepEqual([...m[0]], [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
  assert.deepEqual([...m[1]], [1, 0, 0, 1]);
  assert.deepEqual([...m[2]], [0, 1, 0, 1, 0, 1, 0, 1]);
  assert.deepEqual([...m[3]], [0, 1]);
  assert.throws(() => unitMaskToParamMask(specs, [Uint8Array.from([1, 0]), Uint8Array.from([0, 1])]), /layer 0 has 2 units/);
});

/** Forward pass with the given units switched off at each layer's output (TR's definition). */
function unitMaskedForward(e: Extractor, x: tf.Tensor4D, params: tf.Tensor[], units: UnitMask): tf.Tensor {
  return e.forward(x, params, { output: (l, a) => tf.mul(a, tf.tensor1d(Float32Array.from(units[l]))) });
}

for (const [name, extractor] of [
  ['mlp', mlpExtractor([6, 6, 1], [7, 5])],
  ['lenet', lenetExtractor([16, 16, 1])],
  ['cnn', cnnExtractor([17, 16, 3])],
] as const) {
  test(`${name}: a unit mask as a parameter mask gives the same features as switching the units off`, () => {
    const specs = paramSpecs(extractor.layers);
    const rng = new Rng(3);
    const params = initParams(specs, rng).map((v, i) => {
      // Non-zero biases, so that a unit whose weights alone were masked would still be on.
      if (specs[i].role === 'bias') for (let j = 0; j < v.length; j++) v[j] = 0.1 + rng.next();
      return tf.tensor(v, specs[i].shape);
    });
    const x = tf.randomUniform([3, ...extractor.inputShape], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [units] = randomUnitMasks(layerUnits(specs), 1, 0.5, rng);
    const mask = unitMaskToParamMask(specs, units);
    const masked = params.map((p, i) => tf.mul(p, tf.tensor(Float32Array.from(mask[i]), specs[i].shape)));
    const a = extractor.forward(x, masked).arraySync() as number[][];
    const b = unitMaskedForward(extractor, x, params, units).arraySync() as number[][];
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) < 1e-5, `${i},${j}: ${a[i][j]} vs ${b[i][j]}`);
    // Some kept feature is non-zero, every dropped one is zero.
    const last = units[units.length - 1];
    assert.ok(a.some((row) => row.some((v, j) => last[j] && v > 0)));
    assert.ok(a.every((row) => row.every((v, j) => last[j] || v === 0)));
  });
}

test('TR: each task keeps round(p·n) random units per layer; the draw follows the seed', () => {
  const a = randomUnitMasks([10, 7], 3, 0.6, new Rng(1));
  for (const task of a) {
    assert.equal(ones(task[0]), 6);
    assert.equal(ones(task[1]), 4);
  }
  assert.notDeepEqual(a[0], a[1]);
  assert.deepEqual(randomUnitMasks([10, 7], 3, 0.6, new Rng(1)), a);
  assert.notDeepEqual(randomUnitMasks([10, 7], 3, 0.6, new Rng(2)), a);
});

test('MR: the initial subsets cover every unit; roaming keeps each task\'s count and only adds unvisited units', () => {
  const rng = new Rng(7);
  const s0 = initRoaming([12, 5], 3, 0.5, rng);
  for (let l = 0; l < 2; l++) {
    const covered = s0.active.reduce((acc, t) => acc.map((v, u) => v | t[l][u]), new Array(s0.active[0][l].length).fill(0));
    assert.ok(covered.every((v) => v === 1), `layer ${l} covered`);
  }
  assert.deepEqual(s0.active.map((t) => t.map(ones)), [[6, 3], [6, 3], [6, 3]]);
  assert.deepEqual(s0.visited, s0.active);

  const before = JSON.stringify(s0);
  const s1 = roam(s0, [2, 1], rng);
  assert.equal(JSON.stringify(s0), before, 'roam returns a new state');
  s1.active.forEach((task, t) =>
    task.forEach((mask, l) => {
      assert.equal(ones(mask), ones(s0.active[t][l]), 'count kept');
      const added = [...mask].map((v, u) => (v && !s0.active[t][l][u] ? u : -1)).filter((u) => u >= 0);
      assert.equal(added.length, [2, 1][l]);
      for (const u of added) assert.equal(s0.visited[t][l][u], 0, 'added units were unvisited');
      for (let u = 0; u < mask.length; u++) assert.equal(s1.visited[t][l][u], s0.visited[t][l][u] | mask[u]);
    }),
  );
  assert.equal(roamingDone(s1), false);
  // Enough swaps visit everything, and then nothing changes any more.
  let s = s1;
  for (let i = 0; i < 10; i++) s = roam(s, [2, 1], rng);
  assert.equal(roamingDone(s), true);
  assert.deepEqual(roam(s, [2, 1], rng).active, s.active);
});
