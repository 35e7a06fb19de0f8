// Task kinds: losses (missing labels skipped), metrics accumulated over batches, label checks,
// standardisation, decoding, and the registry's schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { taskKind, taskSpecSchema, TASK_KIND_NAMES } from '../../src/tasks/registry.js';
import type { TaskSpec } from '../../src/tasks/types.js';
import { FsmtlError } from '../../src/util/errors.js';

const mc: TaskSpec = { kind: 'multiclass', classes: 3 };
const bin: TaskSpec = { kind: 'binary' };
const reg: TaskSpec = { kind: 'regression', targets: 2, mean: [10, -1], std: [2, 0.5] };

const lossOf = (spec: TaskSpec, out: number[][], y: number[][], missing: boolean) =>
  tf.tidy(() => taskKind(spec).loss(tf.tensor2d(out), tf.tensor2d(y), spec, missing).dataSync()[0]);

test('losses: closed forms', async () => {
  await initEngine({ backend: 'cpu' });
  // softmax cross-entropy of [0, ln 2, 0] at class 1: −ln(2/4)
  assert.ok(Math.abs(lossOf(mc, [[0, Math.log(2), 0]], [[1]], false) - Math.log(2)) < 1e-6);
  // sigmoid cross-entropy: z = 0 → ln 2 for either label; z = 3, y = 1 → ln(1 + e⁻³)
  assert.ok(Math.abs(lossOf(bin, [[0], [3]], [[0], [1]], false) - (Math.log(2) + Math.log1p(Math.exp(-3))) / 2) < 1e-6);
  // mean squared error over every target
  assert.ok(Math.abs(lossOf(reg, [[1, 2], [0, 0]], [[0, 0], [0, 1]], false) - (1 + 4 + 0 + 1) / 4) < 1e-6);
});

test('losses skip missing labels: equal to the loss of the labelled examples alone', async () => {
  await initEngine({ backend: 'cpu' });
  const cases: [TaskSpec, number[][], number[][], number[][], number[][]][] = [
    [mc, [[1, 2, 0], [0, 0, 3], [2, 1, 1]], [[1], [NaN], [0]], [[1, 2, 0], [2, 1, 1]], [[1], [0]]],
    [bin, [[1], [-2], [0.5]], [[NaN], [0], [1]], [[-2], [0.5]], [[0], [1]]],
  ];
  for (const [spec, out, y, outKept, yKept] of cases) {
    const withMissing = lossOf(spec, out, y, true);
    const alone = lossOf(spec, outKept, yKept, false);
    assert.ok(Math.abs(withMissing - alone) < 1e-6, `${spec.kind}: ${withMissing} vs ${alone}`);
    assert.ok(Number.isFinite(withMissing));
  }
  // regression: entries, not rows, are skipped: (2−1)² + 3² + 4² over 3 present entries
  assert.ok(Math.abs(lossOf(reg, [[1, 2], [3, 4]], [[NaN, 1], [0, 0]], true) - (1 + 9 + 16) / 3) < 1e-6);
  // an all-missing batch has loss 0 and a zero gradient, not NaN
  const g = tf.grad((o: tf.Tensor) => taskKind(mc).loss(o as tf.Tensor2D, tf.tensor2d([[NaN]]), mc, true))(tf.tensor2d([[1, 2, 3]]));
  assert.ok(Array.from(g.dataSync()).every((v) => v === 0), `gradient ${g.dataSync()}`);
});

test('metrics accumulate over batches exactly as over the whole set, skipping missing labels', () => {
  const kind = taskKind(mc);
  const out = Float32Array.from([5, 0, 0, 0, 5, 0, 0, 0, 5, 5, 0, 0, 0, 5, 0]); // predicts 0, 1, 2, 0, 1
  const y = Float32Array.from([0, 1, 1, NaN, 1]);
  const whole = kind.accumulator(mc);
  whole.add(out, y, 5);
  const parts = kind.accumulator(mc);
  parts.add(out.subarray(0, 6), y.subarray(0, 2), 2);
  parts.add(out.subarray(6), y.subarray(2), 3);
  assert.deepEqual(parts.result(), whole.result());
  // labelled: (0→0) (1→1) (1→2) (1→1): accuracy 3/4
  assert.equal(whole.result().accuracy, 0.75);
  assert.ok(Number.isNaN(kind.accumulator(mc).result().f1), 'no labelled example: NaN, not 0');
});

test('binary metrics are the two-class ones; regression MAE, RMSE and R² are in the data units', () => {
  const b = taskKind(bin).accumulator(bin);
  b.add(Float32Array.from([2, -1, 3, -2]), Float32Array.from([1, 1, 1, 0]), 4); // predicts 1 0 1 0
  const m = b.result();
  assert.equal(m.accuracy, 0.75);
  // class 0: P = 1/2, R = 1; class 1: P = 1, R = 2/3
  assert.ok(Math.abs(m.precision - 0.75) < 1e-12 && Math.abs(m.recall - (1 + 2 / 3) / 2) < 1e-12);

  const spec: TaskSpec = { kind: 'regression', targets: 1, mean: [10], std: [2] };
  const r = taskKind(spec).accumulator(spec);
  // standardised outputs 0, 1, −1 → 10, 12, 8; targets 10, 13, NaN, 9
  r.add(Float32Array.from([0, 1, -1, 0.5]), Float32Array.from([10, 13, NaN, 9]), 4);
  const e = [0, -1, 2]; // errors of the labelled rows: 10−10, 12−13, 11−9
  const res = r.result();
  assert.ok(Math.abs(res.mae - 1) < 1e-12);
  assert.ok(Math.abs(res.rmse - Math.sqrt(5 / 3)) < 1e-12);
  const ys = [10, 13, 9];
  const mean = ys.reduce((a, v) => a + v, 0) / 3;
  const sst = ys.reduce((a, v) => a + (v - mean) ** 2, 0);
  assert.ok(Math.abs(res.r2 - (1 - e.reduce((a, v) => a + v * v, 0) / sst)) < 1e-12);
});

test('label checks name the task, the row and the value', () => {
  assert.throws(() => taskKind(mc).checkLabels(Float32Array.from([0, 2, 3]), 3, mc, "task 'x'"), /task 'x': label 3 in row 3 is not a class in 0…2/);
  assert.throws(() => taskKind(mc).checkLabels(Float32Array.from([0.5]), 1, mc, 't'), /row 1/);
  assert.throws(() => taskKind(bin).checkLabels(Float32Array.from([1, -1]), 2, bin, 't'), /label -1 in row 2 is not 0 or 1/);
  assert.throws(() => taskKind(reg).checkLabels(Float32Array.from([1, 2, 3, Infinity]), 2, reg, 't'), /row 2, target 2 is not a finite number/);
  // NaN is a missing label, never an error
  for (const spec of [mc, bin, reg]) taskKind(spec).checkLabels(Float32Array.from([NaN, NaN]), spec.kind === 'regression' ? 1 : 2, spec, 't');
});

test('regression standardises on the training labels and decodes back to the data units', () => {
  const spec: TaskSpec = { kind: 'regression', targets: 2 };
  const k = taskKind(spec);
  const fitted = k.prepare(spec, Float32Array.from([1, 100, 3, NaN, 5, 300]), 3);
  assert.deepEqual(fitted.kind === 'regression' && fitted.mean, [3, 200]);
  assert.ok(fitted.kind === 'regression' && Math.abs(fitted.std![0] - Math.sqrt(8 / 3)) < 1e-12 && fitted.std![1] === 100);
  const enc = k.encodeLabels(Float32Array.from([3, 300, 5, NaN]), fitted);
  assert.deepEqual([enc[0], enc[1]], [0, 1]);
  assert.ok(Number.isNaN(enc[3]));
  const dec = k.decode(Float32Array.from([0, 1, -1, 0]), 2, fitted);
  assert.deepEqual(Array.from(dec.values[1]), [300, 200]);
  assert.throws(() => k.prepare(spec, Float32Array.from([NaN, 1]), 1), FsmtlError);
});

test('decode writes classes, class and probability, or values', () => {
  assert.deepEqual(Array.from(taskKind(mc).decode(Float32Array.from([0, 2, 1, 9, 0, 0]), 2, mc).values[0]), [1, 0]);
  const d = taskKind(bin).decode(Float32Array.from([0, -20]), 2, bin);
  assert.deepEqual(d.columns, ['class', 'probability']);
  assert.deepEqual(Array.from(d.values[0]), [0, 0]);
  assert.equal(d.values[1][0], 0.5);
});

test('the registry validates specs by kind', () => {
  assert.deepEqual(TASK_KIND_NAMES, ['multiclass', 'binary', 'regression', 'segmentation', 'depth']);
  assert.ok(taskSpecSchema.safeParse({ kind: 'multiclass', classes: 5 }).success);
  assert.ok(!taskSpecSchema.safeParse({ kind: 'multiclass', classes: 1 }).success);
  assert.ok(!taskSpecSchema.safeParse({ kind: 'multiclass', classes: 3, classNames: ['a'] }).success);
  assert.ok(!taskSpecSchema.safeParse({ kind: 'ordinal' }).success);
  assert.ok(!taskSpecSchema.safeParse({ kind: 'binary', classes: 2 }).success, 'unknown fields are refused');
  assert.deepEqual(taskSpecSchema.parse({ kind: 'regression' }), { kind: 'regression', targets: 1 });
  assert.throws(() => taskKind({ kind: 'ordinal' } as never), /unknown task kind 'ordinal'/);
});
