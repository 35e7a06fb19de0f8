import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTraining } from '../../src/experiments/run.js';
import { WEIGHTING_NAMES } from '../../src/train/config.js';
import { smallHetero3 } from '../fixtures/configs.js';
import { weightingNames } from '../../src/methods/weighting/registry.js';

const small = smallHetero3;

test('the config schema knows exactly the registered weightings', () => {
  assert.deepEqual([...WEIGHTING_NAMES], weightingNames());
});

/** The weightings of issue #18 train in weighting-more-training.test.ts (shorter runs, morpho too). */
const LATER = new Set(['imtl', 'gradvac', 'aligned-mtl', 'famo', 'db-mtl', 'fairgrad', 'stch', 'upgrad', 'graddrop', 'moco']);

test('every weighting trains with hard sharing on hetero3 and multimnist, without leaking tensors', async () => {
  const multimnist = { benchmark: 'multimnist' as const, trainSize: 300, testPerTask: 200, hidden: [32, 32], epochs: 3, batchSize: 50, lr: 5e-3 };
  for (const weighting of WEIGHTING_NAMES.filter((w) => !LATER.has(w))) {
    const m = await runTraining({ ...multimnist, method: 'mtl', weighting });
    assert.equal(m.memory.tensorsAfterLastEpoch, m.memory.tensorsAfterFirstEpoch, `${weighting} on multimnist`);
    // Chance is 0.1; three epochs on 300 two-digit images reach about 0.25.
    assert.ok(m.average.accuracy > 0.15, `${weighting} on multimnist: accuracy ${m.average.accuracy}`);
    const r = await runTraining({ ...small, method: 'mtl', weighting });
    assert.equal(r.weighting.name, weighting);
    assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch, weighting);
    assert.ok(r.average.accuracy > 0.3, `${weighting}: accuracy ${r.average.accuracy}`);
    if (weighting !== 'ew') {
      assert.equal(r.weighting.meanWeights!.length, 3);
      assert.ok(r.weighting.meanWeights!.every((w) => Number.isFinite(w) && w >= 0), `${weighting}: ${r.weighting.meanWeights}`);
      assert.ok(Number.isInteger(r.weighting.solverFailures));
    }
  }
});

test('sharing and weighting combine freely: FS + PCGrad keeps its masks, on a homogeneous benchmark too', async () => {
  const r = await runTraining({ ...small, method: 'fs', weighting: 'pcgrad' });
  for (const d of r.masks!.density) assert.ok(Math.abs(d - 0.3) < 1e-4);
  const m = await runTraining({ benchmark: 'multimnist', trainSize: 300, testPerTask: 200, hidden: [32, 32], epochs: 2, batchSize: 50, method: 'rs', weighting: 'mgda', fs: { warmupEpochs: 1 } });
  assert.equal(m.weighting.name, 'mgda');
  assert.ok(m.masks);
});

test('a random weighting is reproducible from the seed', async () => {
  const a = await runTraining({ ...small, method: 'mtl', weighting: 'rlw', seed: 4 });
  const b = await runTraining({ ...small, method: 'mtl', weighting: 'rlw', seed: 4 });
  const c = await runTraining({ ...small, method: 'mtl', weighting: 'rlw', seed: 5 });
  assert.deepEqual(a.perTask, b.perTask);
  assert.deepEqual(a.weighting.meanWeights, b.weighting.meanWeights);
  assert.notDeepEqual(a.weighting.meanWeights, c.weighting.meanWeights);
});

test('STL has nothing to weight: the config says so', async () => {
  await assert.rejects(runTraining({ ...small, method: 'stl', weighting: 'cagrad' }), /config\.weighting: stl shares no parameters/);
  await assert.rejects(runTraining({ ...small, weighting: 'nope' as never }), /config\.weighting/);
});
