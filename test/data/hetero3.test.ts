import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildHetero3, KMNIST_SPLIT_SEED, KMNIST_TEST_FRACTION } from '../../src/data/hetero3.js';
import { loadBenchmark } from '../../src/data/index.js';
import { classHistogram } from '../../src/data/labels.js';
import { stratifiedSplit } from '../../src/data/select.js';
import { loadKmnist } from '../../src/data/sources.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError, SHARED, tempDir } from './helpers.js';

const a = buildHetero3({ dataDir: SHARED, seed: 1 });

test('shape of the benchmark', () => {
  assert.equal(a.kind, 'heterogeneous');
  assert.deepEqual(a.inputShape, [28, 28, 1]);
  assert.deepEqual(a.tasks.map((t) => t.name), ['digits', 'kuzushiji', 'fashion']);
  for (const t of a.tasks) {
    assert.deepEqual(t.spec, { kind: 'multiclass', classes: 10 });
    assert.equal(t.train.n, 8000);
    assert.equal(t.train.x.length, 8000 * 784);
    assert.equal(t.train.y.length, 8000);
    assert.equal(t.test.n, 2000);
    assert.equal(t.test.x.length, 2000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of t.train.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  }
  assert.notEqual(a.tasks[0].train.x, a.tasks[1].train.x);
  assert.ok(a.provenance.some((l) => l.includes(`fixed seed ${KMNIST_SPLIT_SEED}`)));
});

test('deterministic, and independent of the run seed', () => {
  const b = buildHetero3({ dataDir: SHARED, seed: 1 });
  const c = buildHetero3({ dataDir: SHARED, seed: 999 });
  for (let t = 0; t < 3; t++) {
    for (const other of [b, c]) {
      assert.deepEqual(other.tasks[t].train.y, a.tasks[t].train.y);
      assert.deepEqual(other.tasks[t].train.x, a.tasks[t].train.x);
      assert.deepEqual(other.tasks[t].test.x, a.tasks[t].test.x);
      assert.deepEqual(other.tasks[t].test.y, a.tasks[t].test.y);
    }
  }
});

test('class-stratified counts', () => {
  const [digits, kuzushiji, fashion] = a.tasks;
  assert.deepEqual(classHistogram(fashion.train.y, 10), new Array(10).fill(800));
  assert.deepEqual(classHistogram(fashion.test.y, 10), new Array(10).fill(200));
  assert.deepEqual(classHistogram(kuzushiji.train.y, 10), new Array(10).fill(800));
  assert.deepEqual(classHistogram(kuzushiji.test.y, 10), new Array(10).fill(200));
  // MNIST train is unbalanced: proportional quotas of 8000 from [5923, 6742, ...] (largest remainder).
  assert.deepEqual(classHistogram(digits.train.y, 10), [790, 899, 794, 818, 779, 723, 789, 835, 780, 793]);
  assert.equal(classHistogram(digits.test.y, 10).reduce((s, v) => s + v, 0), 2000);
  const small = buildHetero3({ dataDir: SHARED, seed: 0, trainPerTask: 100, testPerTask: 50 });
  assert.deepEqual(classHistogram(small.tasks[2].train.y, 10), new Array(10).fill(10));
  assert.deepEqual(classHistogram(small.tasks[1].test.y, 10), new Array(10).fill(5));
});

test('KMNIST train and test parts are disjoint and cover the 10k test split', () => {
  const k = loadKmnist(SHARED).test;
  const split = stratifiedSplit(k.labels, 10, KMNIST_TEST_FRACTION, Rng.derive(KMNIST_SPLIT_SEED, 'kmnist/split'));
  assert.equal(split.train.length, 8000);
  assert.equal(split.test.length, 2000);
  const all = new Set([...split.train, ...split.test]);
  assert.equal(all.size, 10000);
  // The benchmark's kuzushiji test set is exactly that test part (testPerTask 2000 = all of it).
  const kt = a.tasks[1].test;
  for (const j of [0, 1, 777, 1999]) {
    const i = split.test[j];
    assert.equal(kt.y[j], k.labels[i]);
    for (let p = 0; p < 784; p += 13) assert.equal(kt.x[j * 784 + p], Math.fround(k.images[i * 784 + p] / 255));
  }
  // And no kuzushiji training image appears in its test set (the KMNIST test split has no duplicates).
  const key = (x: Float32Array, j: number) => Buffer.from(x.buffer, x.byteOffset + j * 784 * 4, 784 * 4).toString('base64');
  const trainKeys = new Set<string>();
  for (let j = 0; j < a.tasks[1].train.n; j++) trainKeys.add(key(a.tasks[1].train.x, j));
  for (let j = 0; j < kt.n; j++) assert.ok(!trainKeys.has(key(kt.x, j)), `test example ${j} is also in train`);
});

test('option validation', () => {
  expectFsmtlError(() => buildHetero3({ dataDir: SHARED, seed: 0, trainPerTask: 8001 }), 'trainPerTask=8001', 'kuzushiji');
  expectFsmtlError(() => buildHetero3({ dataDir: SHARED, seed: 0, testPerTask: 2001 }), 'testPerTask=2001');
  expectFsmtlError(() => buildHetero3({ dataDir: SHARED, seed: 0, trainPerTask: 0 }), 'trainPerTask must be a positive integer');
  expectFsmtlError(() => buildHetero3({ dataDir: SHARED, seed: 0, testPerTask: 2.5 }), 'testPerTask must be a positive integer');
  expectFsmtlError(() => buildHetero3({ dataDir: SHARED, seed: 0.5 }), 'seed must be an integer');
});

test('explicit data dir of symlinked copies gives the same benchmark', () => {
  const dir = tempDir();
  for (const sub of ['mnist', 'fashion-mnist', 'kmnist']) symlinkSync(join(SHARED, sub), join(dir, sub));
  const b = loadBenchmark('hetero3', { dataDir: dir, seed: 3, trainPerTask: 500, testPerTask: 100 });
  const c = buildHetero3({ dataDir: SHARED, seed: 3, trainPerTask: 500, testPerTask: 100 });
  for (let t = 0; t < 3; t++) {
    assert.deepEqual(b.tasks[t].train.x, c.tasks[t].train.x);
    assert.deepEqual(b.tasks[t].test.y, c.tasks[t].test.y);
  }
});

test('MNIST files directly in the dir cannot also serve as Fashion-MNIST', () => {
  const dir = tempDir();
  for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    symlinkSync(join(SHARED, 'mnist', f), join(dir, f));
  }
  mkdirSync(join(dir, 'kmnist'));
  for (const f of ['kmnist-test-imgs.npz', 'kmnist-test-labels.npz']) symlinkSync(join(SHARED, 'kmnist', f), join(dir, 'kmnist', f));
  expectFsmtlError(() => buildHetero3({ dataDir: dir, seed: 0 }), 'MNIST and Fashion-MNIST both resolve to', 'fashion-mnist');
});

test('loadBenchmark registry errors', () => {
  expectFsmtlError(() => loadBenchmark('cifar', { seed: 0 }), "unknown benchmark 'cifar'", 'hetero3, multimnist');
  expectFsmtlError(() => loadBenchmark('hetero3', { seed: 0, trainSize: 10 }), "no option 'trainSize'", 'trainPerTask');
});
