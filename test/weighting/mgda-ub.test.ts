import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTraining } from '../../src/experiments/run.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { FsmtlError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { combo, ctxOf, maxAbsDiff, randomVec } from './helpers.js';

test('mgda-ub: α is the min-norm point of the REPRESENTATION gradients, applied to the parameter gradients', () => {
  const m = createWeighting('mgda-ub');
  assert.equal(m.needsRepresentationGrads, true);
  const rng = new Rng(5);
  const g = [randomVec(rng, 40), randomVec(rng, 40)];
  // Orthogonal representation gradients of norms 1 and 2: α1 = |z2|² / (|z1|² + |z2|²) = 0.8.
  const representationGrads = [Float32Array.from([1, 0, 0]), Float32Array.from([0, 2, 0])];
  const r = m.combine(g, ctxOf({ losses: [1, 1], representationGrads }), m.init(2));
  assert.ok(Math.abs(r.weights[0] - 0.8) < 1e-9, `α = ${r.weights}`);
  assert.ok(maxAbsDiff(r.grad, combo(g, [0.8, 0.2])) < 1e-5);
  assert.deepEqual(r.headScale, [1, 1]);
  // The same parameter gradients with other representation gradients give other weights: α depends on Z only.
  const r2 = m.combine(g, ctxOf({ losses: [1, 1], representationGrads: [Float32Array.from([3, 0]), Float32Array.from([0, 1])] }), null);
  assert.ok(Math.abs(r2.weights[0] - 0.1) < 1e-9, `α = ${r2.weights}`);
});

test('mgda-ub: missing or mismatched representation gradients are clear errors', () => {
  const m = createWeighting('mgda-ub');
  const g = [new Float32Array(4).fill(1), new Float32Array(4).fill(2)];
  assert.throws(() => m.combine(g, ctxOf({ losses: [1, 1] }), null), FsmtlError);
  assert.throws(
    () => m.combine(g, ctxOf({ losses: [1, 1], representationGrads: [new Float32Array(6), new Float32Array(4)] }), null),
    /differ in size \(6 vs 4\).*batchSize/,
  );
});

test('mgda-ub trains on both benchmarks; its weights are a convex combination', async () => {
  for (const benchmark of ['multimnist', 'hetero3'] as const) {
    const r = await runTraining({ benchmark, trainSize: 300, trainPerTask: 300, testPerTask: 200, hidden: [32], epochs: 2, batchSize: 50, lr: 5e-3, method: 'mtl', weighting: 'mgda-ub' });
    const w = r.weighting.meanWeights!;
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-6, `weights ${w}`);
    assert.equal(r.memory.tensorsAfterLastEpoch, r.memory.tensorsAfterFirstEpoch);
    // Chance is 0.1; two epochs on 300 MultiMNIST images reach about 0.24 with any weighting.
    assert.ok(r.average.accuracy > (benchmark === 'hetero3' ? 0.3 : 0.18), `${benchmark}: ${r.average.accuracy}`);
  }
});
