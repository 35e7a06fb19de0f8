// The mixture-of-experts architectures (MMoE, CGC, DSelect-k) train end to end on hetero3 (tasks with
// their own inputs), multimnist and morpho (one image, several tasks), with hard sharing's dense updates
// (mtl) and with FS masks over all of their shared parameters. The layer-wise ones are in
// architectures-layerwise-training.test.ts, checkpoints in test/io/architectures-checkpoint.test.ts.
// Tiny sizes, one epoch: this checks the plumbing, not accuracy.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/setup.js';
import { runTraining, runTrainingWithModel } from '../../src/experiments/run.js';
import { tinyArchitecture } from '../fixtures/configs.js';
import { assertTrainsEverywhere } from './architecture-runs.js';

before(async () => {
  await initEngine({ backend: 'wasm' });
});

const ARCHS = ['mmoe', 'cgc', 'dselect-k'];

for (const architecture of ARCHS) {
  test(`${architecture}: trains on hetero3, multimnist and morpho, dense (mtl) and with FS masks`, () => assertTrainsEverywhere(architecture));
}

test('an architecture run is deterministic, and its FS masks span every expert', async () => {
  const cfg = { ...tinyArchitecture('mmoe'), benchmark: 'multimnist' as const, method: 'fs' as const, epochs: 2 };
  const b = await runTraining(cfg);
  const a = await runTrainingWithModel(cfg);
  assert.deepEqual(a.result.perTask.map((t) => t.metrics), b.perTask.map((t) => t.metrics));
  assert.deepEqual(a.result.history.map((h) => h.loss), b.history.map((h) => h.loss));
  const specs = a.model.specs;
  assert.ok(specs.some((s) => s.name.startsWith('expert0/')) && specs.some((s) => s.name.startsWith('expert1/')));
  for (const e of ['expert0/', 'expert1/']) {
    const kept = a.masks![0].reduce((n, m, i) => n + (specs[i].name.startsWith(e) ? m.reduce((x, v) => x + v, 0) : 0), 0);
    assert.ok(kept > 0, `task 0 keeps some of ${e}`);
  }
  a.model.dispose();
});

