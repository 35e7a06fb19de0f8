// fsmtl/predictor: the TensorFlow.js-free predictor. It bundles for a browser without tfjs or node:
// modules and runs in a bare JavaScript context; its plans are the tfjs extractors' architectures; it
// decodes every task kind as the main predictor does; it refuses what it cannot run, in one line.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import type { Benchmark, Split } from '../../src/data/types.js';
import { initEngine } from '../../src/engine/setup.js';
import { runTrainingWithModel } from '../../src/experiments/run.js';
import { checkpointFromTrained } from '../../src/io/checkpoint.js';
import { encodeTaskModel, exportTask } from '../../src/io/export.js';
import { checkpointNetwork, Predictor, taskModelNetwork } from '../../src/io/predictor.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { decodeTaskModel } from '../../src/io/export.js';
import { EXTRACTOR_NAMES, makeExtractor } from '../../src/model/extractor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { forwardPlan, hasPlan, loadPredictor } from '../../src/predictor/index.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { trainModel } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError } from '../data/helpers.js';
import { assertCloseOutputs } from './helpers.js';

before(async () => {
  await initEngine();
});

const ENTRY = new URL('../../src/predictor/index.ts', import.meta.url).pathname;

test('fsmtl/predictor bundles for a browser with neither TensorFlow.js nor node: modules, and predicts in a bare context', async () => {
  const r = await build({ entryPoints: [ENTRY], bundle: true, platform: 'browser', format: 'iife', globalName: 'fsmtlPredictor', write: false, metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((p) => p.endsWith('src/predictor/sparse-net.ts')));
  const bad = inputs.filter((p) => /@tensorflow|^node:|src\/engine\//.test(p));
  assert.deepEqual(bad, [], 'modules the TF-free predictor must not pull in');

  const trained = await runTrainingWithModel({ benchmark: 'hetero3', method: 'fs', keep: 0.2, hidden: [32], trainPerTask: 100, testPerTask: 50, epochs: 1, fs: { warmupEpochs: 0, samples: 16 } });
  const c = checkpointFromTrained(trained);
  trained.model.dispose();
  const bytes = encodeTaskModel(exportTask(c, 'fashion'));
  const x = new Float32Array(3 * 784).map((_, i) => ((i * 7919) % 256) / 255);
  // A context with only what a browser also has: no process, require, Buffer or fs.
  const ctx: Record<string, unknown> = { TextDecoder, TextEncoder, bytes, x };
  runInNewContext(r.outputFiles[0].text, ctx);
  assert.equal(typeof ctx.process, 'undefined');
  const got = runInNewContext('const p = fsmtlPredictor.loadPredictor(bytes, "fashion.safetensors"); p.predict(x, 3)', ctx) as { outputs: Float32Array; predictions: { columns: string[]; values: Float64Array[] } };
  const dense = new Predictor(checkpointNetwork(c, 'fashion'), { path: 'dense' });
  try {
    assertCloseOutputs(Float32Array.from(got.outputs), dense.logits(x, 3), 10, 'bundled predictor');
    assert.deepEqual(Array.from(got.predictions.values[0]), Array.from(dense.predict(x, 3)));
  } finally {
    dense.dispose();
  }
});

test("every extractor either has a plan with the tfjs extractor's parameters or is refused by name", () => {
  for (const arch of EXTRACTOR_NAMES) {
    for (const shape of [[28, 28, 1], [64, 64, 3], [17, 23, 2]] as [number, number, number][]) {
      const e = makeExtractor(arch, shape, [40, 24]);
      if (!hasPlan(arch)) {
        expectFsmtlError(() => forwardPlan(arch, shape, [40, 24]), `does not run extractor '${arch}'`);
        continue;
      }
      const p = forwardPlan(arch, shape, [40, 24]);
      assert.deepEqual(paramSpecs(p.layers), paramSpecs(e.layers), `${arch} on ${shape.join('×')}`);
      assert.equal(p.featureDim, e.featureDim);
    }
  }
  expectFsmtlError(() => forwardPlan('unet', [64, 64, 3], []), "does not run extractor 'unet'", 'TensorFlow.js predictor');
});

/** Tabular inputs with a class, a yes/no and two numbers (far from 0: standardisation matters). */
function mixed(): Benchmark {
  const D = 8;
  const make = (n: number, seed: number) => {
    const rng = new Rng(seed);
    const x = Float32Array.from({ length: n * D }, () => rng.next());
    const cls = new Float32Array(n), yes = new Float32Array(n), num = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const r = x.subarray(i * D, (i + 1) * D);
      cls[i] = r[0] + r[1] > 1.2 ? 2 : r[0] > r[1] ? 1 : 0;
      yes[i] = r[2] > 0.5 ? 1 : 0;
      num[2 * i] = 100 + 40 * r[3] - 20 * r[4];
      num[2 * i + 1] = -3 * r[5];
    }
    return { x, cls, yes, num, n };
  };
  const tr = make(600, 1), te = make(200, 2);
  const split = (s: ReturnType<typeof make>, y: Float32Array): Split => ({ x: s.x, y, n: s.n });
  return {
    name: 'mixed', kind: 'homogeneous', inputShape: [1, 1, D], provenance: ['synthetic'],
    tasks: [
      { name: 'class', spec: { kind: 'multiclass', classes: 3 }, train: split(tr, tr.cls), test: split(te, te.cls) },
      { name: 'yes', spec: { kind: 'binary' }, train: split(tr, tr.yes), test: split(te, te.yes) },
      { name: 'number', spec: { kind: 'regression', targets: 2 }, train: split(tr, tr.num), test: split(te, te.num) },
    ],
  };
}

test("every task kind: the TF-free predictor's outputs and decoded predictions are the main predictor's", async () => {
  const bench = mixed();
  const trained = await trainModel(parseTrainConfig({ method: 'fs', keep: 0.3, hidden: [32, 32], epochs: 3, batchSize: 50, lr: 3e-3, fs: { warmupEpochs: 1, samples: 64 } }), bench);
  const c = checkpointFromTrained(trained);
  trained.model.dispose();
  c.tasks.forEach((task, t) => {
    const { x, n } = bench.tasks[t].test;
    const main = new Predictor(taskModelNetwork(decodeTaskModel(encodeTaskModel(exportTask(c, t)), 'memory')));
    const want = main.logits(x, n);
    const wantDecoded = main.decode(x, n);
    main.dispose();
    const got = loadPredictor(encodeTaskModel(exportTask(c, t)), `${task}.safetensors`).predict(x, n);
    const C = want.length / n;
    assertCloseOutputs(got.outputs, want, C, task);
    assert.deepEqual(got.predictions.columns, wantDecoded.columns, task);
    got.predictions.values.forEach((col, j) => {
      const w = wantDecoded.values[j];
      for (let i = 0; i < n; i++) {
        const tol = wantDecoded.columns[j] === 'class' ? 0 : 1e-4 * Math.max(1, Math.abs(w[i]));
        if (!(Math.abs(col[i] - w[i]) <= tol)) assert.fail(`${task}: ${wantDecoded.columns[j]} of example ${i} is ${col[i]}, the main predictor's ${w[i]}`);
      }
    });
  });
  // Regression values are in the data's units (around 100), not standardised.
  const num = loadPredictor(encodeTaskModel(exportTask(c, 'number'))).predict(bench.tasks[2].test.x, 200).predictions.values[0];
  assert.ok(num.reduce((a, v) => a + v, 0) / 200 > 50);
});

test('the TF-free predictor refuses in one line what it cannot run; the main predictor falls back to dense', async () => {
  const trained = await runTrainingWithModel({ benchmark: 'hetero3', method: 'fs', keep: 0.1, hidden: [32], trainPerTask: 100, testPerTask: 50, epochs: 1, fs: { warmupEpochs: 0, samples: 16 } });
  const c = checkpointFromTrained(trained);
  trained.model.dispose();
  const bytes = encodeTaskModel(exportTask(c, 'digits'));
  const file = decodeSafetensors(bytes, 'x');
  const renamed = encodeSafetensors(file.tensors, { ...file.metadata, arch: 'unet' });
  expectFsmtlError(() => loadPredictor(renamed, 'seg.safetensors'), 'seg.safetensors', "does not run extractor 'unet'");
  expectFsmtlError(() => loadPredictor(bytes.subarray(0, 100), 'cut.safetensors'), 'cut.safetensors');
  expectFsmtlError(() => loadPredictor(bytes).predict(new Float32Array(100), 1), 'expected 1 inputs of 28×28×1 = 784 values, got 100');

  // At p = 0.1 one example runs on the sparse path; the dense weights are never built for it.
  const p = new Predictor(taskModelNetwork(decodeTaskModel(bytes, 'memory')));
  assert.equal(p.sparseFor(1), true);
  p.predict(new Float32Array(784), 1);
  assert.equal(p.residentBytes, typeof p.sparse === 'string' ? NaN : p.sparse.net.residentBytes);
  p.dispose();
  // A dense model (no masks) keeps no compressed copy.
  const mtl = await runTrainingWithModel({ benchmark: 'hetero3', method: 'mtl', hidden: [32], trainPerTask: 50, testPerTask: 20, epochs: 1 });
  const dm = new Predictor(checkpointNetwork(checkpointFromTrained(mtl), 0));
  mtl.model.dispose();
  assert.match(String(dm.sparse), /too dense to pay/);
  assert.equal(dm.sparseFor(1), false);
  dm.dispose();
});
