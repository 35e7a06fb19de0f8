// The Fisher of every task kind and label mode, batched (src/sparse/fisher.ts through the kind's
// likelihood), against the per-example definition written out here in closed form: one backward pass
// per example and per target, squared, weighted by the target's probability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { nativeStatus } from '../../src/engine/native/addon.js';
import { makeExtractor, type Extractor } from '../../src/model/extractor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initParams } from '../../src/model/init.js';
import { fisherDiagonal } from '../../src/sparse/fisher.js';
import { taskKind } from '../../src/tasks/registry.js';
import type { FisherLabel, TaskSpec } from '../../src/tasks/types.js';
import { Rng } from '../../src/util/rng.js';

type Head = { kernel: tf.Tensor; bias: tf.Tensor };

/** Per-example log-likelihood terms [objective(out of one example), weight] for a kind, in closed form. */
function terms(spec: TaskSpec, out: Float32Array, y: Float32Array, label: FisherLabel): [(o: tf.Tensor2D) => tf.Scalar, number][] {
  if (spec.kind === 'multiclass') {
    const lp = (o: tf.Tensor2D, c: number) => tf.sum(tf.slice(tf.logSoftmax(o), [0, c], [1, 1])) as tf.Scalar;
    const m = Math.max(...out);
    const z = out.reduce((a, v) => a + Math.exp(v - m), 0);
    const p = Array.from(out, (v) => Math.exp(v - m) / z);
    if (label === 'exact') return p.map((w, c) => [(o) => lp(o, c), w]);
    const c = label === 'true' ? y[0] : out.indexOf(m);
    return [[(o) => lp(o, c), 1]];
  }
  if (spec.kind === 'binary') {
    // log σ(z) and log σ(−z) = log(1 − σ(z)), written as logs of the probability itself.
    const log1 = (o: tf.Tensor2D) => tf.sum(tf.log(tf.sigmoid(o))) as tf.Scalar;
    const log0 = (o: tf.Tensor2D) => tf.sum(tf.log(tf.sub(1, tf.sigmoid(o)))) as tf.Scalar;
    const s = 1 / (1 + Math.exp(-out[0]));
    if (label === 'exact') return [[log1, s], [log0, 1 - s]];
    const t = label === 'true' ? y[0] : out[0] > 0 ? 1 : 0;
    return [[t === 1 ? log1 : log0, 1]];
  }
  // Regression, N(y; out, I) in standardised units.
  if (label === 'true') {
    const yt = tf.tensor2d(Array.from(y, (v) => (Number.isNaN(v) ? 0 : v)), [1, y.length]);
    const present = tf.tensor2d(Array.from(y, (v) => (Number.isNaN(v) ? 0 : 1)), [1, y.length]);
    return [[(o) => tf.mul(-0.5, tf.sum(tf.mul(present, tf.square(tf.sub(yt, o))))) as tf.Scalar, 1]];
  }
  // E_y[(Σ_d (y_d − μ_d) ∂μ_d)²] = Σ_d (∂μ_d)²: one unit-weight term per output.
  return Array.from({ length: out.length }, (_, d) => [(o: tf.Tensor2D) => tf.sum(tf.slice(o, [0, d], [1, 1])) as tf.Scalar, 1]);
}

function fisherByLoop(ex: Extractor, params: tf.Tensor[], head: Head, x: tf.Tensor4D, y: Float32Array, spec: TaskSpec, label: FisherLabel): Float32Array[] {
  const n = x.shape[0];
  const width = y.length / n;
  const acc = params.map((p) => new Float32Array(p.size));
  for (let i = 0; i < n; i++) {
    const xi = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]);
    const outOf = (ps: tf.Tensor[]) => tf.add(tf.matMul(ex.forward(xi, ps), head.kernel as tf.Tensor2D), head.bias) as tf.Tensor2D;
    const out = outOf(params).dataSync() as Float32Array;
    for (const [objective, w] of terms(spec, out, y.subarray(i * width, (i + 1) * width), label)) {
      const grads = tf.grads((...ps: tf.Tensor[]) => objective(outOf(ps)))(params);
      grads.forEach((g, p) => {
        const d = g.dataSync();
        for (let j = 0; j < d.length; j++) acc[p][j] += (w * d[j] * d[j]) / n;
      });
      tf.dispose(grads);
    }
  }
  return acc;
}

function setup(arch: 'mlp' | 'lenet', shape: [number, number, number], n: number, spec: TaskSpec) {
  const ex = makeExtractor(arch, shape, [7, 5]);
  const rng = new Rng(5);
  const specs = paramSpecs(ex.layers);
  const params = initParams(specs, rng).map((v, i) => {
    if (specs[i].role === 'bias') for (let j = 0; j < v.length; j++) v[j] = 0.1 * rng.normal();
    return tf.tensor(v, specs[i].shape);
  });
  const C = taskKind(spec).outputs(spec);
  const head = {
    kernel: tf.tensor2d(Array.from({ length: ex.featureDim * C }, () => rng.normal()), [ex.featureDim, C]),
    bias: tf.tensor1d(Array.from({ length: C }, () => rng.normal())),
  };
  const x = tf.tensor4d(Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.next()), [n, ...shape]);
  const width = spec.kind === 'regression' ? spec.targets : 1;
  const y = Float32Array.from({ length: n * width }, (_, k) => {
    if (spec.kind === 'multiclass') return rng.int(spec.classes);
    if (spec.kind === 'binary') return rng.int(2);
    return k === 1 ? NaN : rng.normal(); // one missing target: 'true' must skip it
  });
  return { ex, params, head, x, y };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  assert.ok(scale > 0, `${what}: reference is all zeros, the test would prove nothing`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-4 * scale + 1e-7, `${what}[${i}]: batched ${actual[i]} vs loop ${expected[i]}`);
  }
}

const SPECS: TaskSpec[] = [
  { kind: 'multiclass', classes: 3 },
  { kind: 'binary' },
  { kind: 'regression', targets: 2 },
];
// On native, MLP extractors of categorical tasks take the one-call kernel (binary as two classes with a
// zero logit): it is held to the same definition.
const backends = nativeStatus().available ? (['cpu', 'native'] as const) : (['cpu'] as const);
for (const backend of backends) {
  for (const spec of SPECS) {
    for (const arch of ['mlp', 'lenet'] as const) {
      for (const label of ['predicted', 'true', 'exact'] as const) {
        test(`${spec.kind} Fisher, batched = per-example definition (${backend}, ${arch}, ${label})`, async () => {
          await initEngine({ backend });
          const { ex, params, head, x, y } = setup(arch, arch === 'mlp' ? [4, 4, 1] : [16, 16, 1], 5, spec);
          const width = y.length / 5;
          const batched = fisherDiagonal(ex, params, head, x, tf.tensor2d(y, [5, width]), spec, label).map((t) => t.dataSync() as Float32Array);
          const loop = fisherByLoop(ex, params, head, x, y, spec, label);
          batched.forEach((b, p) => assertClose(b, loop[p], `param ${p}`));
        });
      }
    }
  }
}

test('regression: the predicted-label form is the exact one (the mode of a Gaussian has zero gradient)', async () => {
  await initEngine({ backend: 'cpu' });
  const spec: TaskSpec = { kind: 'regression', targets: 2 };
  const { ex, params, head, x, y } = setup('mlp', [4, 4, 1], 5, spec);
  const yt = tf.tensor2d(y, [5, 2]);
  const p = fisherDiagonal(ex, params, head, x, yt, spec, 'predicted').map((t) => t.dataSync());
  const e = fisherDiagonal(ex, params, head, x, yt, spec, 'exact').map((t) => t.dataSync());
  p.forEach((v, i) => assert.deepEqual(Array.from(v), Array.from(e[i])));
});
