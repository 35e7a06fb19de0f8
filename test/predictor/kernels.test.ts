// The sparse kernels (TypeScript, and C when the addon is built) against the dense path on random
// networks of every planned extractor: batch sizes around the C kernels' 16-example tiles, zeros in the
// inputs (which the TypeScript kernel skips), and 32-bit indices where positions pass 65,535.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/setup.js';
import { nativeSparseKernels } from '../../src/engine/native/sparse-kernels.js';
import { Predictor, type TaskNetwork } from '../../src/io/predictor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { forwardPlan, jsKernels, SparseNet } from '../../src/predictor/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertCloseOutputs } from './helpers.js';

before(async () => {
  await initEngine();
});

function randomNetwork(arch: 'mlp' | 'lenet' | 'cnn', inputShape: [number, number, number], hidden: number[], keep: number, seed: number): TaskNetwork {
  const rng = new Rng(seed);
  const plan = forwardPlan(arch, inputShape, hidden);
  const params = paramSpecs(plan.layers).map((s) => {
    const fan = s.role === 'kernel' ? s.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const scale = Math.sqrt(6 / (keep * fan));
    return Float32Array.from({ length: s.size }, () => (rng.next() < keep ? (rng.next() * 2 - 1) * scale : 0));
  });
  const C = 5;
  const F = plan.featureDim;
  const head = { kernel: Float32Array.from({ length: F * C }, () => rng.next() - 0.5), bias: Float32Array.from({ length: C }, () => rng.next() - 0.5) };
  return { task: 't', arch, hidden, inputShape, spec: { kind: 'multiclass', classes: C }, params, head };
}

function inputs(n: number, size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * size }, () => (rng.next() < 0.4 ? 0 : rng.next()));
}

const cases: [string, 'mlp' | 'lenet' | 'cnn', [number, number, number], number[], number, number][] = [
  ['mlp', 'mlp', [6, 7, 2], [40, 24], 0.3, 33],
  ['lenet', 'lenet', [16, 18, 2], [], 0.3, 33],
  ['cnn', 'cnn', [17, 16, 3], [], 0.2, 33],
  ['mlp with 32-bit input positions', 'mlp', [257, 256, 1], [6], 0.01, 3],
  ['cnn with 32-bit tap offsets', 'cnn', [150, 150, 3], [], 0.05, 2],
];

for (const [label, arch, shape, hidden, keep, n] of cases) {
  test(`sparse kernels equal the dense path: ${label}`, () => {
    const net = randomNetwork(arch, shape, hidden, keep, 7);
    const size = shape[0] * shape[1] * shape[2];
    const x = inputs(n, size, 8);
    const dense = new Predictor(net, { path: 'dense' });
    const want = dense.logits(x, n);
    dense.dispose();
    const plan = forwardPlan(arch, shape, hidden);
    const stored = net.params.map((values) => ({ layout: 'dense' as const, values }));
    const kernelSets = [jsKernels, ...(nativeSparseKernels() ? [nativeSparseKernels()!] : [])];
    for (const k of kernelSets) {
      const sn = new SparseNet(plan, stored, net.head, 5, k.denseLayout);
      if (label.includes('32-bit')) assert.ok(sn.residentBytes > 0);
      for (const m of [1, 2, 15, 16, 17, n].filter((m) => m <= n)) {
        assertCloseOutputs(sn.forward(x.subarray(0, m * size), m, k), want.subarray(0, 5 * m), 5, `${label}, ${k.name} kernels, batch ${m}`);
      }
    }
  });
}

test('the C kernels check sizes and refuse a bad structure', { skip: nativeSparseKernels() ? false : 'the native addon is not built' }, () => {
  const k = nativeSparseKernels()!;
  const ptr = Int32Array.from([0, 1, 2]);
  const idx = Uint16Array.from([0, 1]);
  const val = Float32Array.from([1, 2]);
  const bias = new Float32Array(2);
  const y = new Float32Array(2);
  k.dense(Float32Array.from([3, 4]), 1, 2, ptr, idx, val, bias, false, y);
  assert.deepEqual(Array.from(y), [3, 8]);
  assert.throws(() => k.dense(new Float32Array(1), 1, 2, ptr, idx, val, bias, false, y), /x is too short/);
  assert.throws(() => k.dense(new Float32Array(2), 1, 2, Int32Array.from([0, 1, 3]), idx, val, bias, false, y), /bad ptr/);
  assert.throws(() => k.dense(new Float32Array(2), 2, 2, ptr, idx, val, bias, false, y), /too short/);
});
