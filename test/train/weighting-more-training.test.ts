// The weightings of issue #18 train end to end, one short epoch each (two on hetero3, to see the loss
// fall), on hetero3 (classification), multimnist (homogeneous tasks on one input) and morpho
// (classification, regression and binary tasks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTraining } from '../../src/experiments/run.js';
import { smallHetero3 } from '../fixtures/configs.js';

const NEW = ['imtl', 'gradvac', 'aligned-mtl', 'famo', 'db-mtl', 'fairgrad', 'stch', 'upgrad', 'graddrop', 'moco'] as const;

const tiny = {
  hetero3: { ...smallHetero3, epochs: 2, trainPerTask: 200, testPerTask: 100 },
  multimnist: { benchmark: 'multimnist' as const, trainSize: 200, testPerTask: 100, hidden: [32, 32], epochs: 1, batchSize: 50, lr: 5e-3 },
  morpho: { benchmark: 'morpho' as const, trainSize: 200, testPerTask: 100, hidden: [32, 32], epochs: 1, batchSize: 50, lr: 5e-3 },
};

test('each new weighting trains a short run on hetero3, multimnist and morpho: finite, no leak, weights logged', async () => {
  for (const weighting of NEW) {
    for (const [bench, cfg] of Object.entries(tiny)) {
      const r = await runTraining({ ...cfg, method: 'mtl', weighting, seed: 1 });
      const where = `${weighting} on ${bench}`;
      assert.equal(r.weighting.name, weighting, where);
      assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch, where);
      assert.ok(r.history[0].loss.every(Number.isFinite), `${where}: losses ${r.history[0].loss}`);
      const T = r.perTask.length;
      assert.equal(r.weighting.meanWeights!.length, T, where);
      assert.ok(r.weighting.meanWeights!.every(Number.isFinite), `${where}: ${r.weighting.meanWeights}`);
      assert.equal(r.weighting.solverFailures, 0, where);
      for (const p of r.perTask) for (const [k, v] of Object.entries(p.metrics)) assert.ok(Number.isFinite(v), `${where}: ${p.task} ${k}`);
      if (bench === 'hetero3') {
        // Eight steps: the tasks' mean training loss falls from the first epoch to the second (not every
        // task's: DB-MTL's gradient EMA lags a task by a few steps at first).
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const [e0, e1] = r.history.map((h) => mean(h.loss));
        assert.ok(e1 < e0 - 0.02, `${where}: mean loss ${e0} → ${e1}`);
      }
    }
  }
});

test('with a sharing method other than MTL, and reproducible from the seed (GradDrop draws, MoCo tracks)', async () => {
  const fs = await runTraining({ ...tiny.hetero3, method: 'fs', weighting: 'upgrad', epochs: 2 });
  for (const d of fs.masks!.density) assert.ok(Math.abs(d - 0.3) < 1e-4);
  for (const weighting of ['graddrop', 'moco'] as const) {
    const a = await runTraining({ ...tiny.morpho, method: 'mtl', weighting, seed: 3 });
    const b = await runTraining({ ...tiny.morpho, method: 'mtl', weighting, seed: 3 });
    assert.deepEqual(a.perTask, b.perTask, weighting);
    assert.deepEqual(a.weighting.meanWeights, b.weighting.meanWeights, weighting);
  }
});
