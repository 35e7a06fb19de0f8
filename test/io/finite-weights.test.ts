// Model files with NaN or infinite weights are refused on load, naming the tensor: such a model
// loads, and then predicts class 0 for every image (argmax over NaN logits).
import { test, before } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/setup.js';
import { runTrainingWithModel } from '../../src/experiments/run.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.js';
import { exportTask, loadTaskModel, saveTaskModel } from '../../src/io/export.js';
import { loadModelFile } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../../src/io/safetensors.js';
import { expectFsmtlError, tempDir } from '../data/helpers.js';
import { smallHetero3 } from '../fixtures/configs.js';

before(async () => {
  await initEngine();
});

/** The file at `path` with one element of one F32 tensor replaced, written to `out`. */
function poisoned(path: string, out: string, key: string, index: number, value: number): string {
  const file = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  const t = file.tensors.get(key);
  if (!t || t.dtype !== 'F32') throw new Error(`no F32 tensor '${key}' in ${path}: ${[...file.tensors.keys()].join(', ')}`);
  const data = Float32Array.from(t.data as Float32Array);
  data[index] = value;
  const tensors = new Map<string, SafeTensor>(file.tensors);
  tensors.set(key, { ...t, data });
  writeFileSync(out, encodeSafetensors(tensors, file.metadata));
  return out;
}

test('checkpoints and exported task models with NaN or ±Infinity weights are refused, naming the tensor', async () => {
  const dir = tempDir();
  const trained = await runTrainingWithModel({ ...smallHetero3, trainPerTask: 200, epochs: 2, method: 'fs', keep: 0.3 });
  const ck = join(dir, 'ck.safetensors');
  saveCheckpoint(ck, trained);
  trained.model.dispose();
  const tm = join(dir, 'digits.safetensors');
  saveTaskModel(tm, exportTask(loadCheckpoint(ck), 'digits'));
  const bad = join(dir, 'bad.safetensors');
  const cases: [string, string, number, number][] = [
    [ck, 'tower0/dense0/kernel', 1234, NaN],
    [ck, 'tower0/dense1/bias', 3, Infinity],
    [ck, 'head/fashion/kernel', 0, -Infinity],
    [ck, 'head/digits/bias', 9, NaN],
    [tm, 'extractor/dense0/kernel/values', 5, NaN],
    [tm, 'head/kernel', 7, Infinity],
    [tm, 'head/bias', 0, -Infinity],
  ];
  for (const [src, key, i, v] of cases) {
    poisoned(src, bad, key, i, v);
    const what = new RegExp(`tensor '${key}' holds ${String(v).replace('+', '')} at element ${i}`);
    const load = src === ck ? () => loadCheckpoint(bad) : () => loadTaskModel(bad);
    expectFsmtlError(load, bad, what);
    expectFsmtlError(() => loadModelFile(bad), bad, what); // the path fsmtl predict takes
  }
});
