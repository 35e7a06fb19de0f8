// Training on tasks of every kind at once, with missing labels: the trainer, the Fisher and the
// metrics only talk to the task kinds, so a class, a yes/no and a number train side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Benchmark, Split } from '../../src/data/types.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

const D = 8;

/** Tabular inputs (1 × 1 × D) with a class, a yes/no and two numbers that depend on them; `missing` of each label set to NaN. */
function synthetic(n: number, seed: number, missing: number): { x: Float32Array; cls: Float32Array; yes: Float32Array; num: Float32Array } {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * D }, () => rng.next());
  const cls = new Float32Array(n);
  const yes = new Float32Array(n);
  const num = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * D, (i + 1) * D);
    cls[i] = r[0] + r[1] > 1.2 ? 2 : r[0] > r[1] ? 1 : 0;
    yes[i] = r[2] > 0.5 ? 1 : 0;
    num[2 * i] = 100 + 40 * r[3] - 20 * r[4]; // far from 0 and wide: standardisation matters
    num[2 * i + 1] = -3 * r[5];
    if (rng.next() < missing) cls[i] = NaN;
    if (rng.next() < missing) yes[i] = NaN;
    if (rng.next() < missing) num[2 * i] = NaN;
  }
  return { x, cls, yes, num };
}

function mixedBenchmark(kind: 'homogeneous' | 'heterogeneous', missing: number): Benchmark {
  const parts = (seed: number) => ({ train: synthetic(1200, seed, missing), test: synthetic(400, seed + 100, 0) });
  const shared = parts(1);
  const own = [parts(1), parts(2), parts(3)];
  const p = (t: number) => (kind === 'homogeneous' ? shared : own[t]);
  const split = (s: ReturnType<typeof synthetic>, y: Float32Array): Split => ({ x: s.x, y, n: s.x.length / D });
  return {
    name: `mixed-${kind}`,
    kind,
    inputShape: [1, 1, D],
    tasks: [
      { name: 'class', spec: { kind: 'multiclass', classes: 3 }, train: split(p(0).train, p(0).train.cls), test: split(p(0).test, p(0).test.cls) },
      { name: 'yes', spec: { kind: 'binary' }, train: split(p(1).train, p(1).train.yes), test: split(p(1).test, p(1).test.yes) },
      { name: 'number', spec: { kind: 'regression', targets: 2 }, train: split(p(2).train, p(2).train.num), test: split(p(2).test, p(2).test.num) },
    ],
    provenance: ['synthetic'],
  };
}

const config = (method: string, extra: Record<string, unknown> = {}) =>
  parseTrainConfig({ method, hidden: [64, 64], epochs: 8, batchSize: 64, lr: 3e-3, keep: 0.5, fs: { warmupEpochs: 2, samples: 128 }, ...extra });

for (const kind of ['homogeneous', 'heterogeneous'] as const) {
  for (const method of ['mtl', 'fs', 'stl', 'efs'] as const) {
    test(`a class, a yes/no and two numbers train together with 30% of labels missing (${kind}, ${method})`, async () => {
      const r = await train(config(method), mixedBenchmark(kind, 0.3));
      assert.deepEqual(r.perTask.map((t) => t.kind), ['multiclass', 'binary', 'regression']);
      const [cls, yes, num] = r.perTask;
      assert.ok(cls.metrics.accuracy > 0.75, `class accuracy ${cls.metrics.accuracy}`);
      assert.ok(yes.metrics.accuracy > 0.85, `yes/no accuracy ${yes.metrics.accuracy}`);
      assert.ok(num.metrics.r2 > 0.7, `R² ${num.metrics.r2}`);
      // MAE in the data's units: the first target spans about 60, so a standardised error would be far below 1.
      assert.ok(num.metrics.mae > 0.05 && num.metrics.mae < 8, `MAE ${num.metrics.mae}`);
      assert.deepEqual(Object.keys(num.metrics), ['mae', 'rmse', 'r2']);
      for (const t of r.perTask) {
        assert.ok(Object.values(t.metrics).every(Number.isFinite), `${t.task}: ${JSON.stringify(t.metrics)}`);
        assert.ok(t.validation && Object.values(t.validation).every(Number.isFinite), `${t.task} has validation metrics`);
      }
      assert.equal(r.benchmark.valSizes[0], 120, '10% of 1,200 training examples held out');
      assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch, 'no tensor leaks');
      if (method === 'fs' || method === 'efs') assert.ok(r.masks && r.masks.density.every((d) => Math.abs(d - 0.5) < 0.01));
      // The regression spec carries the training split's standardisation (targets far from 0).
      const spec = num.spec;
      assert.ok(spec.kind === 'regression' && spec.mean![0] > 80 && spec.std![0] > 5, JSON.stringify(spec));
    });
  }
}

test('same seed, same results with mixed kinds and missing labels; a task without any label is an error naming it', async () => {
  const b = mixedBenchmark('homogeneous', 0.3);
  const a1 = await train(config('fs', { seed: 3 }), b);
  const a2 = await train(config('fs', { seed: 3 }), b);
  assert.deepEqual(a1.perTask, a2.perTask);
  assert.deepEqual(a1.history, a2.history.map((h, i) => ({ ...h, seconds: a1.history[i].seconds })));

  const empty = mixedBenchmark('homogeneous', 0);
  empty.tasks[2] = { ...empty.tasks[2], train: { ...empty.tasks[2].train, y: new Float32Array(empty.tasks[2].train.y.length).fill(NaN) } };
  await assert.rejects(train(config('mtl'), empty), /regression target 1 has no labelled training example/);
  const bad = mixedBenchmark('homogeneous', 0);
  bad.tasks[0].train.y[7] = 3;
  await assert.rejects(train(config('mtl'), bad), /task 'class' \(train\): label 3 in row 8 is not a class in 0…2/);
});
