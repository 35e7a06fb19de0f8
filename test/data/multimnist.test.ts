import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMultiMnist, composeCanvas, composeMultiMnist, resizeBilinear } from '../../src/data/multimnist.js';
import { loadBenchmark } from '../../src/data/index.js';
import { loadMnist } from '../../src/data/sources.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError, SHARED } from './helpers.js';

const a = buildMultiMnist({ dataDir: SHARED, seed: 1 });

test('shape; homogeneous tasks share the same input arrays', () => {
  assert.equal(a.kind, 'homogeneous');
  assert.deepEqual(a.inputShape, [28, 28, 1]);
  assert.deepEqual(a.tasks.map((t) => t.name), ['left', 'right']);
  const [l, r] = a.tasks;
  assert.equal(l.train.x, r.train.x);
  assert.equal(l.test.x, r.test.x);
  assert.equal(l.train.n, 10000);
  assert.equal(l.train.x.length, 10000 * 784);
  assert.equal(l.test.n, 2000);
  assert.notDeepEqual(l.train.y, r.train.y);
  for (const v of l.test.x) assert.ok(v >= 0 && v <= 1);
});

test('deterministic from the data seed, independent of the run seed', () => {
  const b = buildMultiMnist({ dataDir: SHARED, seed: 42 });
  assert.deepEqual(b.tasks[0].train.x, a.tasks[0].train.x);
  assert.deepEqual(b.tasks[0].train.y, a.tasks[0].train.y);
  assert.deepEqual(b.tasks[1].test.y, a.tasks[1].test.y);
  const c = buildMultiMnist({ dataSeed: 1, dataDir: SHARED, seed: 1, trainSize: 100, testSize: 10 });
  assert.notDeepEqual(c.tasks[0].train.y, a.tasks[0].train.y.subarray(0, 100));
});

test('labels are those of the source digits; images are their composition', () => {
  const mnist = loadMnist(SHARED);
  const parts = composeMultiMnist(mnist.train, 10000, Rng.derive(0, 'multimnist/train'));
  assert.deepEqual(parts.x, a.tasks[0].train.x);
  const lefts = new Set(parts.leftIndex);
  assert.equal(lefts.size, 10000, 'left digits are distinct source images');
  for (const i of [0, 1, 2, 4321, 9999]) {
    const li = parts.leftIndex[i];
    const ri = parts.rightIndex[i];
    assert.notEqual(li, ri);
    assert.equal(a.tasks[0].train.y[i], mnist.train.labels[li]);
    assert.equal(a.tasks[1].train.y[i], mnist.train.labels[ri]);
    const lp: [number, number] = [parts.leftPos[2 * i], parts.leftPos[2 * i + 1]];
    const rp: [number, number] = [parts.rightPos[2 * i], parts.rightPos[2 * i + 1]];
    for (const v of lp) assert.ok(v >= 0 && v <= 2);
    for (const v of rp) assert.ok(v >= 6 && v <= 8);
    // Independent re-composition: overlay by max on a 36×36 canvas.
    const canvas = new Uint8Array(36 * 36);
    for (const [idx, [y0, x0]] of [[li, lp], [ri, rp]] as const) {
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const p = (y0 + y) * 36 + x0 + x;
          canvas[p] = Math.max(canvas[p], mnist.train.images[idx * 784 + y * 28 + x]);
        }
    }
    assert.deepEqual(composeCanvas(mnist.train, li, ri, lp, rp, 36), canvas);
    const img = new Float32Array(784);
    resizeBilinear(canvas, 36, 36, img, 0, 28, 28, 1 / 255);
    assert.deepEqual(a.tasks[0].train.x.subarray(i * 784, (i + 1) * 784), img);
  }
  // Test examples come from the MNIST test split.
  const tp = composeMultiMnist(mnist.test, 2000, Rng.derive(0, 'multimnist/test'));
  assert.deepEqual(a.tasks[0].test.y, Float32Array.from(tp.left));
  for (const i of [0, 1999]) assert.equal(a.tasks[1].test.y[i], mnist.test.labels[tp.rightIndex[i]]);
});

test('bilinear resize', () => {
  const src = Float32Array.of(1, 2, 3, 4);
  const same = new Float32Array(4);
  resizeBilinear(src, 2, 2, same, 0, 2, 2);
  assert.deepEqual(same, src);
  const one = new Float32Array(1);
  resizeBilinear(src, 2, 2, one, 0, 1, 1);
  assert.equal(one[0], 2.5);
  const up = new Float32Array(4 * 4);
  resizeBilinear(Float32Array.of(0, 4), 1, 2, up, 0, 4, 4);
  assert.deepEqual([...up.subarray(0, 4)], [0, 1, 3, 4]);
});

test('option validation', () => {
  expectFsmtlError(() => buildMultiMnist({ dataDir: SHARED, seed: 0, trainSize: 60001 }), 'trainSize=60001', 'MNIST train split');
  expectFsmtlError(() => buildMultiMnist({ dataDir: SHARED, seed: 0, testSize: 0 }), 'testSize must be a positive integer');
  expectFsmtlError(() => buildMultiMnist({ dataDir: SHARED, seed: 0, canvas: 28 }), 'canvas must be between 32 and 112');
  expectFsmtlError(() => buildMultiMnist({ dataDir: SHARED, seed: 0, dataSeed: 0.5 }), 'dataSeed must be an integer');
  const big = loadBenchmark('multimnist', { dataDir: SHARED, seed: 0, trainSize: 20, testSize: 5, canvas: 44 });
  assert.equal(big.tasks[0].train.x.length, 20 * 784);
});
