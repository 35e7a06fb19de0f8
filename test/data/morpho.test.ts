import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBenchmark } from '../../src/data/index.js';
import { measureMorphometrics } from '../../src/data/morphometrics.js';

const b = loadBenchmark('morpho', { seed: 0, trainSize: 300, testSize: 100 });

test('morpho: one image set, five tasks of three kinds', () => {
  assert.equal(b.kind, 'homogeneous');
  assert.deepEqual(b.inputShape, [28, 28, 1]);
  assert.deepEqual(
    b.tasks.map((t) => `${t.name}:${t.spec.kind}`),
    ['digit:multiclass', 'thickness:regression', 'slant:regression', 'thick:binary', 'right_slant:binary'],
  );
  for (const t of b.tasks) {
    assert.equal(t.train.x, b.tasks[0].train.x, 'every task labels the same images');
    assert.equal(t.train.n, 300);
    assert.equal(t.test.n, 100);
    assert.ok(t.train.y.every(Number.isFinite) && t.test.y.every(Number.isFinite));
  }
});

test('morpho: the measures are those of the images; the binary tasks split at the training medians', () => {
  const [, thickness, slant, thick, right] = b.tasks;
  for (const i of [0, 17, 299]) {
    const m = measureMorphometrics(b.tasks[0].train.x.subarray(i * 784, (i + 1) * 784), 28, 28);
    assert.ok(Math.abs(thickness.train.y[i] - m.thickness) < 1e-5);
    assert.ok(Math.abs(slant.train.y[i] - (m.slant * 180) / Math.PI) < 1e-3, 'slant in degrees');
  }
  const median = (xs: Float32Array) => {
    const s = Float32Array.from(xs).sort();
    return (s[149] + s[150]) / 2;
  };
  const tm = median(thickness.train.y);
  const sm = median(slant.train.y);
  // Half the training images above each median; test labels use the training medians, not the test ones.
  assert.equal(thick.train.y.reduce((a, v) => a + v, 0), 150);
  assert.equal(right.train.y.reduce((a, v) => a + v, 0), 150);
  thick.test.y.forEach((v, i) => assert.equal(v, thickness.test.y[i] > tm ? 1 : 0));
  right.test.y.forEach((v, i) => assert.equal(v, slant.test.y[i] > sm ? 1 : 0));
  // Morpho-MNIST's MNIST: thickness mostly 1.5–6 px; slants within about ±45°.
  const mean = (xs: Float32Array) => xs.reduce((a, v) => a + v, 0) / xs.length;
  assert.ok(mean(thickness.train.y) > 1.5 && mean(thickness.train.y) < 6, `mean thickness ${mean(thickness.train.y)}`);
  assert.ok(Math.abs(mean(slant.train.y)) < 30, `mean slant ${mean(slant.train.y)}`);
});

test('morpho: the data does not depend on the run seed', () => {
  const c = loadBenchmark('morpho', { seed: 7, trainSize: 300, testSize: 100 });
  b.tasks.forEach((t, k) => {
    assert.deepEqual(c.tasks[k].train.y, t.train.y);
    assert.deepEqual(c.tasks[k].test.y, t.test.y);
  });
});
