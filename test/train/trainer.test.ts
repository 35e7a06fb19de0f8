import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { runTraining } from '../../src/experiments/run.js';
import { initEngine } from '../../src/engine/setup.js';
import { smallHetero3 } from '../fixtures/configs.js';
import type { TaskMask } from '../../src/sparse/masks.js';
import { FsmtlError } from '../../src/util/errors.js';
import { nativeStatus } from '../../src/engine/index.js';

const small = smallHetero3;

const hashMasks = (m: TaskMask[] | null) => {
  const h = createHash('sha256');
  for (const task of m ?? []) for (const part of task) h.update(part);
  return h.digest('hex');
};

const nativeSkip = nativeStatus().available ? false : `native engine unavailable: ${nativeStatus().reason}`;
for (const backend of ['wasm', 'cpu', 'native'] as const) {
  test(`same seed and config give identical metrics and masks (${backend})`, { skip: backend === 'native' && nativeSkip }, async () => {
    const run = async (seed: number) => {
      let masks: TaskMask[] | null = null;
      const r = await runTraining({ ...small, backend, seed, method: 'fs' }, { onEpochEnd: (i) => (masks = i.masks) });
      return { r, h: hashMasks(masks) };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    assert.deepEqual(a.r.perTask, b.r.perTask);
    assert.deepEqual(a.r.history.map((h) => h.loss), b.r.history.map((h) => h.loss));
    assert.equal(a.h, b.h);
    assert.notEqual(a.h, c.h, 'another seed should give other masks');
    assert.notDeepEqual(a.r.history.map((h) => h.loss), c.r.history.map((h) => h.loss));
  });
}

test('FS: masks keep p of the extractor per task and no shared parameter outside the union moves (Eq. 4)', async () => {
  const snapshots: { masks: TaskMask[] | null; tower: Float32Array[] }[] = [];
  const r = await runTraining(
    { ...small, method: 'fs', epochs: 3 },
    { onEpochEnd: (i) => snapshots.push({ masks: i.masks, tower: i.model.towers[0].map((v) => v.dataSync() as Float32Array) }) },
  );
  assert.equal(snapshots[0].masks, null, 'warm-up epoch is dense');
  const masks = snapshots[2].masks!;
  assert.ok(masks);
  for (const d of r.masks!.density) assert.ok(Math.abs(d - 0.3) < 1e-4, `density ${d}`);
  let frozen = 0;
  let moved = 0;
  masks[0].forEach((_, p) => {
    for (let i = 0; i < masks[0][p].length; i++) {
      const kept = masks.some((m) => m[p][i] === 1);
      const changed = snapshots[2].tower[p][i] !== snapshots[1].tower[p][i];
      if (!kept) {
        assert.equal(changed, false, `parameter ${p}[${i}] outside every mask moved`);
        frozen++;
      } else if (changed) moved++;
    }
  });
  assert.ok(frozen > 0 && moved > 0, `frozen ${frozen}, moved ${moved}`);
});

test('no tensor leak between the first and the last epoch, nor after the run, for every method', async () => {
  await initEngine({ backend: 'auto' });
  for (const method of ['fs', 'efs', 'mtl', 'stl', 'rs'] as const) {
    const before = tf.memory().numTensors;
    const r = await runTraining({ ...small, method, epochs: 3 });
    // A run in a long-lived process (a worker, the web page) leaves nothing behind, not even its initial weights.
    assert.equal(tf.memory().numTensors, before, `${method}: tensors left after the run`);
    assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch, method);
    assert.equal(r.perTask.length, 3);
    for (const t of r.perTask) assert.ok(t.metrics.accuracy > 0.2, `${method} ${t.task} accuracy ${t.metrics.accuracy}: not learning`);
  }
});

test('RS draws random masks: overlap near p, unlike a dense method', async () => {
  const r = await runTraining({ ...small, method: 'rs' });
  assert.ok(r.masks);
  assert.ok(Math.abs(r.masks!.meanOverlap - 0.3) < 0.02, `overlap ${r.masks!.meanOverlap}`);
  const m = await runTraining({ ...small, method: 'mtl' });
  assert.equal(m.masks, null);
});

test('multimnist (homogeneous) trains with the LeNet extractor', async () => {
  const r = await runTraining({ benchmark: 'multimnist', trainSize: 300, testPerTask: 200, arch: 'lenet', epochs: 2, batchSize: 50, method: 'fs', fs: { warmupEpochs: 1, samples: 32 } });
  assert.deepEqual(r.benchmark.tasks, ['left', 'right']);
  assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch);
});

test('multimnist trains with the cnn extractor (FS, and SE with its adapters on the conv maps)', async () => {
  // A named engine: 'auto' keeps the cpu backend an earlier test switched to, where the cnn takes minutes.
  const backend = nativeSkip ? 'wasm' : 'native';
  for (const method of ['fs', 'se'] as const) {
    const r = await runTraining({ benchmark: 'multimnist', trainSize: 200, testPerTask: 100, arch: 'cnn', epochs: 2, batchSize: 50, method, backend, fs: { warmupEpochs: 1, samples: 32 } });
    assert.equal(r.config.arch, 'cnn');
    assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch, `${method}: no leak`);
    assert.ok(r.history.every((h) => h.loss.every(Number.isFinite)), `${method}: finite losses`);
    assert.equal(r.masks !== null, method === 'fs');
  }
});

test('a diverging run stops with a clear error naming task, epoch and step', async () => {
  await assert.rejects(
    runTraining({ ...small, method: 'mtl', lr: 1e30, epochs: 2 }),
    (e: Error) => e instanceof FsmtlError && /loss became (NaN|Infinity).*epoch \d+, step \d+/.test(e.message),
  );
});

test('invalid configs are rejected with the field named', async () => {
  await assert.rejects(runTraining({ ...small, keep: 0 }), /config\.keep: keep ratio must be in \(0, 1\]/);
  await assert.rejects(runTraining({ ...small, keep: 1.5 }), /config\.keep/);
  await assert.rejects(runTraining({ ...small, method: 'nope' as never }), /config\.method/);
  await assert.rejects(runTraining({ ...small, fs: { warmupEpochs: -1 } }), /config\.fs\.warmupEpochs/);
  await assert.rejects(runTraining({ ...small, bogus: 1 } as never), /config: .*bogus/);
  await assert.rejects(runTraining({ ...small, method: 'rs', epochs: 2, fs: { warmupEpochs: 2 } }), /config\.epochs: rs applies its masks after 2 warm-up/);
  await runTraining({ ...small, method: 'mtl', epochs: 1, fs: { warmupEpochs: 2 } }); // dense methods have no warm-up constraint
});
