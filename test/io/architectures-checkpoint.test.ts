// Checkpoints of every multi-task architecture: saved and loaded, they predict exactly what the live
// model computes (with its masks and its tasks' own modules), restore for further training, and export
// refuses them in one line that names the method and the architecture. MTAN also on the encoder–decoder
// (segnet) with the per-pixel tasks of scenes.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { benchmarkFor, runTrainingWithModel } from '../../src/experiments/run.js';
import { loadCheckpoint, restoreModel, saveCheckpoint } from '../../src/io/checkpoint.js';
import { exportTask } from '../../src/io/export.js';
import { checkpointNetwork, Predictor } from '../../src/io/predictor.js';
import { tempDir } from '../data/helpers.js';
import { tinyArchitecture } from '../fixtures/configs.js';
import type { TrainConfigInput } from '../../src/train/config.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

const ARCHS = ['cross-stitch', 'mmoe', 'cgc', 'ple', 'dselect-k', 'mtan'];

const onSegnet: TrainConfigInput = { benchmark: 'scenes', arch: 'segnet', imageSize: 32, trainSize: 24, testPerTask: 6, epochs: 2, batchSize: 8 };
const CASES: [string, string, TrainConfigInput][] = [
  ...ARCHS.map((a): [string, string, TrainConfigInput] => [a, a, { benchmark: 'multimnist' }]),
  ['mtan on segnet (scenes)', 'mtan', onSegnet],
];

for (const [what, architecture, setting] of CASES) {
  test(`${what}: checkpoint round trip, prediction equal to the live model, export refused by name`, async () => {
    const dir = tempDir();
    const trained = await runTrainingWithModel({ ...tinyArchitecture(architecture), ...setting, method: 'fs', backend: 'wasm' });
    assert.ok(trained.result.history.every((h) => h.loss.every(Number.isFinite)), `losses ${JSON.stringify(trained.result.history)}`);
    const bench = benchmarkFor(trained.result.config);
    const { x, n } = bench.tasks[1].test;
    const live = tf.tidy(() => {
      const tower = trained.model.tower(1);
      const params = tower.map((v, i) => tf.mul(v, tf.tensor(trained.masks![1][i], v.shape, 'float32')));
      return trained.model.logits(1, tf.tensor4d(x, [n, ...bench.inputShape]), params);
    });
    const liveValues = Array.from(live.dataSync());
    live.dispose();
    const path = join(dir, 'model.safetensors');
    saveCheckpoint(path, trained);
    trained.model.dispose();
    const c = loadCheckpoint(path);
    assert.equal(c.config.architecture, architecture);
    assert.ok(c.adapters && c.adapters.length === 2, 'each task keeps its own modules');
    const p = new Predictor(checkpointNetwork(c, 1));
    const predicted = Array.from(p.logits(x, n));
    p.dispose();
    assert.equal(predicted.length, liveValues.length);
    predicted.forEach((v, i) => assert.ok(Math.abs(v - liveValues[i]) <= 1e-5 * (1 + Math.abs(v)), `logit ${i}: ${v} vs ${liveValues[i]}`));
    // Restored for further training: the same weights.
    const { model } = restoreModel(c);
    assert.deepEqual(Array.from(model.adapters[1][0].dataSync()), Array.from(c.adapters![1][0]));
    model.dispose();
    assert.throws(
      () => exportTask(c, 0),
      (e: Error) => e.message.startsWith(`cannot export task '${c.tasks[0]}' of a fs (${architecture}) model: its tasks own modules inside the shared network`) && !e.message.includes('\n'),
    );
  });
}
