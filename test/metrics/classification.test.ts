import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageMetrics, classificationMetrics, meanStd } from '../../src/metrics/classification.js';

test('metrics on a hand-computed case', () => {
  // classes 0,1,2; confusion: true 0 → [0,0,1], true 1 → [1,1], true 2 → [2]
  const m = classificationMetrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 2], 3);
  assert.equal(m.accuracy, 5 / 6);
  // precision: c0 2/2, c1 2/3, c2 1/1; recall: c0 2/3, c1 2/2, c2 1/1
  assert.ok(Math.abs(m.precision - (1 + 2 / 3 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(m.recall - (2 / 3 + 1 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(m.f1 - (0.8 + 0.8 + 1) / 3) < 1e-12);
});

test('a class never predicted counts as precision 0', () => {
  const m = classificationMetrics([0, 1], [0, 0], 2);
  assert.equal(m.precision, (0.5 + 0) / 2);
  assert.equal(m.recall, (1 + 0) / 2);
});

test('averages and mean ± std', () => {
  const a = averageMetrics([
    { accuracy: 1, precision: 0.5, recall: 0, f1: 0.2 },
    { accuracy: 0, precision: 0.5, recall: 1, f1: 0.4 },
  ]);
  assert.deepEqual(a, { accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.30000000000000004 });
  const s = meanStd([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.std, 1);
});

test('mismatched lengths are an error', () => {
  assert.throws(() => classificationMetrics([0, 1], [0], 2), /2 labels but 1 predictions/);
});
