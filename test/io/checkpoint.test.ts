import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { benchmarkFor, runTrainingWithModel } from '../../src/experiments/run.js';
import { checkpointFromTrained, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, restoreModel, saveCheckpoint } from '../../src/io/checkpoint.js';
import { decodeTaskModel, encodeTaskModel, exportTask, loadTaskModel, saveTaskModel, taskModelSize } from '../../src/io/export.js';
import { checkpointNetwork, predict, Predictor, taskModelNetwork } from '../../src/io/predictor.js';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../../src/io/safetensors.js';
import { decodeIndices, encodeIndices } from '../../src/io/sparse-layout.js';
import { MASKED_METHODS, type TrainConfigInput } from '../../src/train/config.js';
import type { TrainedModel } from '../../src/train/trainer.js';
import { expectFsmtlError, tempDir } from '../data/helpers.js';
import { smallHetero3 } from '../fixtures/configs.js';

const brief: TrainConfigInput = { ...smallHetero3, trainPerTask: 200, epochs: 2 };

before(async () => {
  await initEngine();
});

/** Each task's test logits from the live multi-task model, computed as the trainer does (S_t ⊙ θsh under 'forward'). */
function liveLogits(trained: TrainedModel): { x: Float32Array; n: number; logits: Float32Array }[] {
  const { model, masks, result } = trained;
  const bench = benchmarkFor(result.config);
  return bench.tasks.map((task, t) => {
    const { x, n } = task.test;
    const logits = tf.tidy(() => {
      const xt = tf.tensor4d(x, [n, ...bench.inputShape]);
      const tower = model.tower(t);
      const params = masks && result.config.fs.placement === 'forward' ? tower.map((v, i) => tf.mul(v, tf.tensor(masks[t][i], v.shape, 'float32'))) : tower;
      return model.logits(t, xt, params);
    });
    const out = logits.dataSync() as Float32Array;
    logits.dispose();
    return { x, n, logits: out };
  });
}

function argmax(logits: Float32Array, n: number): Int32Array {
  const c = logits.length / n;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (logits[i * c + k] > logits[i * c + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** Equal values (+0 and -0 count as equal: a dropped weight is +0 in a task model, -0 in tf.mul(v, 0)). */
function assertSameLogits(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) assert.fail(`${what}: logit ${i} differs: ${a[i]} vs ${b[i]} (diff ${a[i] - b[i]})`);
  }
}

/** Logits on the dense path, which runs the training ops (the sparse path is tested in test/predictor). */
function logitsOf(net: Parameters<typeof predict>[0], x: Float32Array, n: number): Float32Array {
  const p = net instanceof Predictor ? net : new Predictor(net, { path: 'dense' });
  try {
    return p.logits(x, n);
  } finally {
    if (p !== net) p.dispose();
  }
}

const variants: [string, TrainConfigInput][] = [
  ['fs (forward placement)', { method: 'fs', keep: 0.3 }],
  ['fs (update placement)', { method: 'fs', keep: 0.3, fs: { ...brief.fs, placement: 'update' } }],
  ['rs', { method: 'rs', keep: 0.2 }],
  ['mtl (dense)', { method: 'mtl' }],
  ['stl (one tower per task)', { method: 'stl' }],
  ['tr (unit masks)', { method: 'tr', keep: 0.6 }],
  ['mr (roaming unit masks)', { method: 'mr', keep: 0.6 }],
  ['se (task adapters)', { method: 'se' }],
  ['fs on the cnn extractor', { method: 'fs', keep: 0.3, arch: 'cnn', epochs: 1, trainPerTask: 100, testPerTask: 100, fs: { warmupEpochs: 0, samples: 32 } }],
  ['se on the cnn extractor', { method: 'se', arch: 'cnn', epochs: 1, trainPerTask: 100, testPerTask: 100 }],
];

for (const [label, extra] of variants) {
  test(`${label}: checkpoint round trip and every exported task model give the full model's outputs`, async () => {
    const dir = tempDir();
    const trained = await runTrainingWithModel({ ...brief, ...extra });
    const live = liveLogits(trained);
    const config = trained.result.config;
    // Sanity: the live logits are the trainer's own evaluation.
    live.forEach((l, t) => {
      const acc = argmax(l.logits, l.n).filter((c, i) => c === benchmarkFor(config).tasks[t].test.y[i]).length / l.n;
      assert.equal(acc, trained.result.perTask[t].metrics.accuracy);
    });
    const ckPath = join(dir, 'model.safetensors');
    const size = saveCheckpoint(ckPath, trained);
    assert.equal(statSync(ckPath).size, size);
    trained.model.dispose();

    const c = loadCheckpoint(ckPath);
    assert.deepEqual(c.config, config);
    assert.deepEqual(c.tasks, ['digits', 'kuzushiji', 'fashion']);
    assert.equal(c.masks !== null, MASKED_METHODS.includes(config.method));
    assert.equal(c.adapters !== null, config.method === 'se');
    assert.equal(c.towers.length, config.method === 'stl' ? 3 : 1);
    assert.deepEqual(encodeCheckpoint(c), new Uint8Array(readFileSync(ckPath)), 'decode -> encode is byte-identical');

    // The restored trainable model holds the same weights.
    const { model } = restoreModel(c);
    model.towers.forEach((tower, k) => tower.forEach((v, i) => assert.deepEqual(v.dataSync(), c.towers[k][i])));
    model.adapters.forEach((a, t) => a.forEach((v, i) => assert.deepEqual(v.dataSync(), c.adapters![t][i])));
    model.dispose();

    for (let t = 0; t < c.tasks.length; t++) {
      const { x, n, logits } = live[t];
      assertSameLogits(logitsOf(checkpointNetwork(c, t), x, n), logits, `${label}, task ${c.tasks[t]}, checkpoint`);
      if (c.adapters) {
        assert.throws(() => exportTask(c, c.tasks[t]), /adapter blocks.*predict with the checkpoint/);
        continue;
      }
      const m = exportTask(c, c.tasks[t]);
      assert.equal(m.kind, MASKED_METHODS.includes(config.method) && config.fs.placement === 'forward' ? 'sparse' : 'dense');
      const path = join(dir, `${c.tasks[t]}.safetensors`);
      saveTaskModel(path, m);
      const loaded = loadTaskModel(path);
      assert.equal(loaded.task, c.tasks[t]);
      assert.equal(loaded.keptShared, m.keptShared);
      if (c.masks && config.fs.placement === 'forward') {
        assert.equal(m.keptShared, c.masks[t].reduce((a, part) => a + part.reduce((s, v) => s + v, 0), 0));
      }
      const exported = logitsOf(taskModelNetwork(loaded), x, n);
      assertSameLogits(exported, logits, `${label}, task ${c.tasks[t]}, exported`);
      assert.deepEqual(Array.from(predict(taskModelNetwork(loaded), x, n)), Array.from(argmax(logits, n)));
    }
  });
}

test('size: at keep 0.1 the exported task model is much smaller than the dense single-task model', async () => {
  const trained = await runTrainingWithModel({ ...brief, method: 'fs', keep: 0.1 });
  const c = decodeCheckpoint(encodeCheckpoint(checkpointFromTrained(trained)), 'mem');
  trained.model.dispose();
  const shared = 784 * 32 + 32 + 32 * 32 + 32;
  const head = 32 * 10 + 10;
  for (const task of c.tasks) {
    const m = exportTask(c, task);
    const s = taskModelSize(m);
    assert.equal(s.sharedParams, shared);
    assert.equal(s.headParams, head);
    assert.equal(s.denseParams, shared + head);
    assert.equal(s.keptShared, Math.round(0.1 * shared));
    assert.equal(s.params, Math.round(0.1 * shared) + head);
    assert.equal(s.bytes, encodeTaskModel(m).length);
    assert.ok(s.bytes < 0.35 * s.denseBytes, `${task}: ${s.bytes} bytes vs ${s.denseBytes} dense`);
    // Forcing the dense layout gives the same predictions in a dense-sized file.
    const d = exportTask(c, task, { layout: 'dense' });
    assert.ok(Math.abs(encodeTaskModel(d).length - s.denseBytes) < 200);
    assert.deepEqual(taskModelNetwork(d).params, taskModelNetwork(m).params);
  }
});

test('delta-encoded indices: 16-bit when the gaps fit, 32-bit otherwise, validated on decode', () => {
  const small = Uint32Array.from([3, 10, 70000, 70001]);
  assert.ok(encodeIndices(small) instanceof Uint32Array);
  assert.deepEqual(decodeIndices(encodeIndices(small), 70002, 'x'), small);
  const dense = Uint32Array.from([0, 1, 65535, 65536]);
  assert.ok(encodeIndices(dense) instanceof Uint16Array);
  assert.deepEqual(decodeIndices(encodeIndices(dense), 65537, 'x'), dense);
  expectFsmtlError(() => decodeIndices(Uint16Array.from([1, 0]), 10, 'f.safetensors'), 'f.safetensors', /must increase strictly/);
  expectFsmtlError(() => decodeIndices(Uint16Array.from([5, 5]), 10, 'f.safetensors'), /kept index 10 .* out of range/);
});

test('corrupt, mismatched or too-new checkpoints and task models: FsmtlError naming the file and the problem', async () => {
  const trained = await runTrainingWithModel({ ...brief, method: 'fs', keep: 0.3 });
  const dir = tempDir();
  const path = join(dir, 'ck.safetensors');
  saveCheckpoint(path, trained);
  trained.model.dispose();
  const good = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  const name = join(dir, 'bad.safetensors');
  /** A copy of the good checkpoint with its tensors and metadata edited, written to `name`. */
  const variant = (edit: (t: Map<string, SafeTensor>, m: Record<string, string>) => void) => {
    const tensors = new Map(good.tensors);
    const meta = { ...good.metadata };
    edit(tensors, meta);
    const bytes = encodeSafetensors(tensors, meta);
    return () => {
      writeFileSync(name, bytes);
      return loadCheckpoint(name);
    };
  };
  const cases: [string, () => unknown, RegExp][] = [
    ['missing mask', variant((t) => t.delete('mask/kuzushiji/dense1/kernel')), /missing tensor 'mask\/kuzushiji\/dense1\/kernel' \(a fs model with architecture mlp 784-32-32/],
    ['missing head', variant((t) => t.delete('head/fashion/bias')), /missing tensor 'head\/fashion\/bias'/],
    ['other architecture', variant((_, m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), hidden: [64, 32] }))), /tensor 'tower0\/dense0\/kernel' has shape \[784, 32\], but .*mlp 784-64-32.* needs \[784, 64\]/],
    ['other input shape', variant((_, m) => (m.input_shape = '[32,32,1]')), /has shape \[784, 32\], but .* needs \[1024, 32\]/],
    ['dense method, masks present', variant((_, m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), method: 'mtl' }))), /unexpected tensor\(s\) 'mask\/digits\/dense0\/kernel'/],
    ['wrong dtype', variant((t) => t.set('tower0/dense0/bias', { dtype: 'I32', shape: [32], data: new Int32Array(32) })), /tensor 'tower0\/dense0\/bias' is I32, expected F32/],
    ['mask not 0/1', variant((t) => t.set('mask/digits/dense0/bias', { dtype: 'U8', shape: [32], data: new Uint8Array(32).fill(2) })), /mask 'mask\/digits\/dense0\/bias' holds 2/],
    ['version too new', variant((_, m) => ((m.format_version = '3'), (m.fsmtl_version = '9.0.0'))), /format version 3 \(written by fsmtl 9\.0\.0\) is newer than this fsmtl 0\.2\.0 reads \(≤ 2\); upgrade fsmtl/],
    ['not fsmtl', variant((_, m) => delete m.format), /not an fsmtl model: its safetensors metadata has no "format" field/],
    ['bad config', variant((_, m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), keep: 5 }))), /metadata config\.keep: keep ratio must be in \(0, 1\]/],
    ['config not JSON', variant((_, m) => (m.config = '{oops')), /metadata field 'config' is not valid JSON/],
    ['tasks missing', variant((_, m) => delete m.tasks), /metadata field 'tasks' is missing/],
    ['task_specs mismatch', variant((_, m) => (m.task_specs = '[{"kind":"binary"}]')), /metadata task_specs has 1 entries for 3 task\(s\)/],
    ['task spec invalid', variant((_, m) => (m.task_specs = JSON.stringify([{ kind: 'multiclass', classes: 10 }, { kind: 'multiclass', classes: 0 }, { kind: 'multiclass', classes: 10 }]))), /metadata task_specs\[1\]: classes: a multiclass task needs at least 2 classes/],
    ['head of another width', variant((_, m) => (m.task_specs = JSON.stringify([{ kind: 'binary' }, { kind: 'multiclass', classes: 10 }, { kind: 'multiclass', classes: 10 }]))), /head\/digits\/kernel/],
  ];
  for (const [what, fn, pattern] of cases) {
    try {
      expectFsmtlError(fn, name, pattern);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
  // Truncated and bit-flipped files on disk.
  const bytes = readFileSync(path);
  writeFileSync(name, bytes.subarray(0, bytes.length - 100));
  expectFsmtlError(() => loadCheckpoint(name), name, /not a valid safetensors file: .*truncated/);
  const flipped = Buffer.from(bytes);
  flipped[3] = 0x7f;
  writeFileSync(name, flipped);
  expectFsmtlError(() => loadCheckpoint(name), name, /header length/);
  expectFsmtlError(() => loadCheckpoint(join(dir, 'missing.safetensors')), /cannot read checkpoint .*missing\.safetensors: no such file/);
  // One flipped bit in a weight, or an edited metadata field, would load as another model: the checksum says so.
  const weight = Buffer.from(bytes);
  weight[8 + Number(bytes.readBigUInt64LE(0)) + 1234] ^= 0x01;
  writeFileSync(name, weight);
  expectFsmtlError(() => loadCheckpoint(name), name, /the file is corrupt: its content has checksum crc32:[0-9a-f]{8}, its metadata says "crc32:[0-9a-f]{8}"/);
  expectFsmtlError(variant((_, m) => (m.metrics = '[]')), name, /the file is corrupt/);
  // Files written before the checksum (none in the metadata) still load.
  assert.deepEqual(variant((_, m) => delete m.checksum)().towers, loadCheckpoint(path).towers);

  // Task models: the wrong kind of file either way, tampered tensors.
  const c = loadCheckpoint(path);
  const tm = exportTask(c, 'digits');
  const tmPath = join(dir, 'digits.safetensors');
  saveTaskModel(tmPath, tm);
  expectFsmtlError(() => loadCheckpoint(tmPath), tmPath, /is an exported fsmtl task model \(fsmtl export\), not an fsmtl checkpoint/);
  expectFsmtlError(() => loadTaskModel(path), path, /is an fsmtl checkpoint .*, not an exported fsmtl task model/);
  const tmFile = decodeSafetensors(encodeTaskModel(tm), tmPath);
  const tmVariant = (edit: (t: Map<string, SafeTensor>, m: Record<string, string>) => void) => {
    const tensors = new Map(tmFile.tensors);
    const meta = { ...tmFile.metadata };
    edit(tensors, meta);
    return () => decodeTaskModel(encodeSafetensors(tensors, meta), tmPath);
  };
  expectFsmtlError(tmVariant((t) => t.delete('extractor/dense0/kernel/values')), tmPath, /missing tensor 'extractor\/dense0\/kernel\/values'/);
  expectFsmtlError(tmVariant((_, m) => (m.hidden = '[16,32]')), tmPath, /out of range for a tensor of 12544 entries|kept index/);
  expectFsmtlError(tmVariant((_, m) => (m.arch = 'resnet')), tmPath, /'arch' must be mlp or lenet/);
  expectFsmtlError(tmVariant((_, m) => (m.format_version = '3')), tmPath, /format version 3 .* newer/);
  expectFsmtlError(tmVariant((_, m) => (m.keep = '0.5')), tmPath, /the file is corrupt: its content has checksum/);
  expectFsmtlError(
    tmVariant((t) => t.set('extractor/dense0/kernel/values', { dtype: 'F32', shape: [3], data: new Float32Array(3) })),
    tmPath,
    /must be 1-D of equal length/,
  );
  expectFsmtlError(() => exportTask(c, 'letters'), /unknown task 'letters' in .*ck\.safetensors \(tasks: digits, kuzushiji, fashion\)/);
  expectFsmtlError(() => new Predictor(checkpointNetwork(c, 0)).predict(new Float32Array(100), 1), /expected 1 images of 28×28×1 = 784 values, got 100/);
});
