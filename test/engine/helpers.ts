// Helpers for the engine tests: run the same computation on the cpu and wasm backends and compare.
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/index.js';
import { cnnExtractor } from '../../src/model/extractor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { Rng } from '../../src/util/rng.js';

/** Seeded standard-normal data. */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

export const size = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);

export type TestEngine = 'cpu' | 'wasm' | 'native';

/** One output of a computation: its values and its shape as a key ("2x3"). */
export interface Output {
  v: Float32Array;
  shape: string;
}

/**
 * Runs `fn` (which must build its tensors from plain arrays) on `backend`, switched to by `select`
 * (tf.setBackend by default; initEngine where a test moves between engines); returns the outputs.
 */
export async function outputsOn(backend: TestEngine, fn: () => tf.Tensor | tf.Tensor[], select: (b: TestEngine) => Promise<unknown> = (b) => tf.setBackend(b)): Promise<Output[]> {
  await select(backend);
  const outs = tf.tidy(() => {
    const r = fn();
    return Array.isArray(r) ? r : [r];
  });
  const res = outs.map((t) => ({ v: new Float32Array(t.dataSync() as Float32Array), shape: t.shape.join('x') }));
  tf.dispose(outs);
  return res;
}

/** outputsOn's values, each carrying its shape as `shapeKey` (the wasm tests' form). */
export async function runOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  return (await outputsOn(backend, fn)).map((o) => Object.assign(o.v, { shapeKey: o.shape }));
}

/**
 * Computes `fn` on cpu and on `engine` and asserts the outputs agree (same count, shapes, values within
 * `tol`); with `nonzero`, also that no cpu output is all zeros, where that would prove nothing.
 */
export async function assertEngineParity(
  engine: TestEngine,
  label: string,
  fn: () => tf.Tensor | tf.Tensor[],
  opts: { tol?: number; nonzero?: boolean; select?: (b: TestEngine) => Promise<unknown> } = {},
): Promise<number> {
  const tol = opts.tol ?? TOL;
  const ref = await outputsOn('cpu', fn, opts.select);
  const got = await outputsOn(engine, fn, opts.select);
  assert.equal(got.length, ref.length, `${label}: number of outputs`);
  let worst = 0;
  ref.forEach((r, i) => {
    assert.equal(got[i].shape, r.shape, `${label}: output ${i} shape`);
    if (opts.nonzero) assert.ok(r.v.some((x) => x !== 0), `${label}: output ${i} is all zeros on cpu, the comparison would prove nothing`);
    const e = relError(got[i].v, r.v);
    worst = Math.max(worst, e);
    assert.ok(e <= tol, `${label} (${engine}): output ${i} differs from cpu by ${e.toExponential(2)} (tolerance ${tol})`);
  });
  return worst;
}

/** max |a − b| / max(1, max |b|): error relative to the reference's scale. */
export function relError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'sizes differ');
  let scale = 1;
  let err = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err / scale;
}

export const TOL = 1e-4;

/** Computes `fn` on cpu and on wasm (with fsmtl's kernels) and asserts the outputs agree. */
export function assertParity(label: string, fn: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<number> {
  return assertEngineParity('wasm', label, fn, { tol });
}

/**
 * A whole cnn training step for a parity test: the extractor on an odd-sized colour batch of n (18×17×3:
 * 'same' convs, floor pools, broadcast bias adds, ReLU), a linear head and softmax cross-entropy; returns
 * the loss and every extractor parameter's gradient. Seeded by n.
 */
export function cnnGradientCase(n: number): () => tf.Tensor[] {
  const ex = cnnExtractor([18, 17, 3]);
  const specs = paramSpecs(ex.layers);
  const rng = new Rng(77 + n);
  const xs = randn(rng, n * 18 * 17 * 3);
  const labels = Array.from({ length: n }, () => rng.int(10));
  const ws = specs.map((s) => randn(rng, s.size, s.role === 'bias' ? 0.1 : Math.sqrt(2 / (s.size / s.shape[s.shape.length - 1]))));
  const head = randn(rng, ex.featureDim * 10, 0.05);
  return () => {
    const params = ws.map((w, i) => tf.tensor(w, specs[i].shape));
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const loss = (...p: tf.Tensor[]) =>
      tf.losses.softmaxCrossEntropy(y, tf.matMul(ex.forward(tf.tensor4d(xs, [n, 18, 17, 3]), p), tf.tensor2d(head, [ex.featureDim, 10]))) as tf.Scalar;
    const { value, grads } = tf.valueAndGrads(loss)(params);
    return [value, ...grads];
  };
}
