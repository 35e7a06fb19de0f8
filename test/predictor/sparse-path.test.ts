// The sparse path gives the full multi-task model's answers: for fs at p = 0.1, 0.3 and 0.5 (MLP) and on
// the conv extractors, every task's exported model, predicted on the sparse path (native C kernels when
// the addon is built, and TypeScript ones) and by the TensorFlow.js-free predictor, matches the dense
// path on the checkpoint (which test/io/checkpoint.test.ts ties to the live model bit for bit): the same
// argmax on the whole test set, and head outputs within the documented tolerance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { engineInfo, initEngine } from '../../src/engine/setup.js';
import { nativeSparseKernels } from '../../src/engine/native/sparse-kernels.js';
import { benchmarkFor, runTrainingWithModel } from '../../src/experiments/run.js';
import { checkpointFromTrained, type Checkpoint } from '../../src/io/checkpoint.js';
import { decodeTaskModel, encodeTaskModel, exportTask } from '../../src/io/export.js';
import { checkpointNetwork, Predictor, taskModelNetwork } from '../../src/io/predictor.js';
import { jsKernels, loadPredictor, TaskModelPredictor } from '../../src/predictor/index.js';
import type { TrainConfigInput } from '../../src/train/config.js';
import { argmaxRows, assertCloseOutputs } from './helpers.js';

before(async () => {
  await initEngine();
});

const small: TrainConfigInput = { benchmark: 'hetero3', method: 'fs', trainPerTask: 150, testPerTask: 150, epochs: 1, batchSize: 50, lr: 5e-3, fs: { warmupEpochs: 0, samples: 32 } };

async function checkpointOf(extra: TrainConfigInput): Promise<Checkpoint> {
  const trained = await runTrainingWithModel({ ...small, ...extra });
  const c = checkpointFromTrained(trained);
  trained.model.dispose();
  return c;
}

/** Every task of c: the sparse path and the TF-free predictor against the dense path. */
function checkEveryTask(c: Checkpoint, label: string): void {
  const bench = benchmarkFor(c.config);
  c.tasks.forEach((task, t) => {
    const { x, n } = bench.tasks[t].test;
    const what = `${label}, task ${task}`;
    const dense = new Predictor(checkpointNetwork(c, t), { path: 'dense' });
    const want = dense.logits(x, n);
    const wantDecoded = dense.decode(x, n);
    dense.dispose();
    const C = want.length / n;
    const bytes = encodeTaskModel(exportTask(c, t));

    const sparse = new Predictor(taskModelNetwork(decodeTaskModel(bytes, 'memory')), { path: 'sparse' });
    assert.ok(sparse.sparseFor(n), `${what}: the sparse path is forced`);
    // On the native engine the predictor runs the addon's C kernels, elsewhere the TypeScript ones.
    const expected = engineInfo()?.backend === 'native' && nativeSparseKernels() ? 'native' : 'js';
    assert.equal(typeof sparse.sparse === 'string' ? sparse.sparse : sparse.sparse.kernels.name, expected);
    const got = sparse.logits(x, n);
    assertCloseOutputs(got, want, C, `${what}, sparse path (${typeof sparse.sparse === 'string' ? '' : sparse.sparse.kernels.name})`);
    assert.deepEqual(argmaxRows(got, C), argmaxRows(want, C), `${what}: argmax on the sparse path`);
    // The sparse path never built the dense weights.
    assert.equal(sparse.residentBytes, typeof sparse.sparse === 'string' ? -1 : sparse.sparse.net.residentBytes);

    const free = loadPredictor(bytes, 'memory');
    const kernelSets = [jsKernels, ...(nativeSparseKernels() ? [nativeSparseKernels()!] : [])];
    for (const k of kernelSets) {
      const p = new TaskModelPredictor(free.model, k);
      const r = p.predict(x, n);
      assertCloseOutputs(r.outputs, want, C, `${what}, TF-free predictor on ${k.name} kernels`);
      assert.deepEqual(r.predictions, wantDecoded, `${what}: decoded predictions on ${k.name} kernels`);
    }
    // One example at a time gives the batch's answers (the batched and single-example kernels differ).
    const one = free.outputs(x.subarray(0, x.length / n), 1);
    assertCloseOutputs(one, want.subarray(0, C), C, `${what}, one example`);
  });
}

for (const keep of [0.1, 0.3, 0.5]) {
  test(`fs at p = ${keep} (MLP): sparse path and TF-free predictor give the full model's answers on every task's test set`, async () => {
    const c = await checkpointOf({ keep, hidden: [64, 64] });
    checkEveryTask(c, `p = ${keep}`);
  });
}

for (const arch of ['lenet', 'cnn'] as const) {
  test(`fs at p = 0.3 on the ${arch} extractor: sparse conv layers give the full model's answers`, async () => {
    const c = await checkpointOf({ keep: 0.3, arch, trainPerTask: 60, testPerTask: 60, batchSize: 30 });
    checkEveryTask(c, arch);
  });
}
