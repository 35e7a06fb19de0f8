import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { nativeStatus } from '../../src/engine/native/addon.js';
import { makeExtractor, type Extractor, type ExtractorArch } from '../../src/model/extractor.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initParams } from '../../src/model/init.js';
import { fisherDiagonal, unfoldPatches, type FisherLabel } from '../../src/sparse/fisher.js';
import type { ConvLayer } from '../../src/model/layers.js';
import { Rng } from '../../src/util/rng.js';

/** The definition: one backward pass per example (and per class for 'exact'). */
function fisherByLoop(ex: Extractor, params: tf.Tensor[], head: { kernel: tf.Tensor; bias: tf.Tensor }, x: tf.Tensor4D, y: Int32Array, label: FisherLabel): Float32Array[] {
  const n = x.shape[0];
  const C = head.bias.shape[0];
  const acc = params.map((p) => new Float32Array(p.size));
  for (let i = 0; i < n; i++) {
    const xi = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]);
    const logp = (ps: tf.Tensor[]) =>
      tf.logSoftmax(tf.add(tf.matMul(ex.forward(xi, ps), head.kernel as tf.Tensor2D), head.bias) as tf.Tensor2D);
    const lp = logp(params).dataSync();
    let classes: [number, number][];
    if (label === 'exact') classes = Array.from({ length: C }, (_, c) => [c, Math.exp(lp[c])]);
    else if (label === 'true') classes = [[y[i], 1]];
    else classes = [[lp.indexOf(Math.max(...lp)), 1]];
    for (const [c, w] of classes) {
      const grads = tf.grads((...ps: tf.Tensor[]) => tf.sum(tf.slice(logp(ps), [0, c], [1, 1])))(params);
      grads.forEach((g, p) => {
        const d = g.dataSync();
        for (let j = 0; j < d.length; j++) acc[p][j] += (w * d[j] * d[j]) / n;
      });
      grads.forEach((g) => g.dispose());
    }
  }
  return acc;
}

function setup(arch: ExtractorArch, shape: [number, number, number], n: number) {
  const ex = makeExtractor(arch, shape, [7, 5]);
  const rng = new Rng(3);
  const params = initParams(paramSpecs(ex.layers), rng).map((v, i) => {
    // non-zero biases so that every term of the formula matters
    const s = paramSpecs(ex.layers)[i];
    if (s.role === 'bias') for (let j = 0; j < v.length; j++) v[j] = 0.1 * rng.normal();
    return tf.tensor(v, s.shape);
  });
  const C = 4;
  const head = {
    kernel: tf.tensor2d(Array.from({ length: ex.featureDim * C }, () => rng.normal()), [ex.featureDim, C]),
    bias: tf.tensor1d(Array.from({ length: C }, () => rng.normal())),
  };
  const x = tf.tensor4d(Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.next()), [n, ...shape]);
  const y = Int32Array.from({ length: n }, () => rng.int(C));
  return { ex, params, head, x, y };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  assert.equal(actual.length, expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  assert.ok(scale > 0, `${what}: reference is all zeros, the test would prove nothing`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-4 * scale + 1e-7, `${what}[${i}]: batched ${actual[i]} vs loop ${expected[i]}`);
  }
}

// On native, MLP extractors take the one-call kernel (native/src/dense_fisher.c): it is held to the same definition.
const backends = nativeStatus().available ? (['cpu', 'wasm', 'native'] as const) : (['cpu', 'wasm'] as const);
for (const backend of backends) {
  // The cnn on an odd-sized colour input: 'same' padding at every conv, floor pooling (18×17 → 9×8 → 4×4 → 2×2 → 1×1).
  // segnet predicts per pixel: its per-example Fisher is held to the definition in test/model/head.test.ts and test/engine/dense-kernels.test.ts.
  const shapes = { mlp: [4, 4, 1], lenet: [16, 16, 1], cnn: [18, 17, 3] } satisfies Record<Exclude<ExtractorArch, 'segnet'>, [number, number, number]>;
  for (const arch of ['mlp', 'lenet', 'cnn'] as const) {
    for (const label of ['predicted', 'true', 'exact'] as const) {
      test(`batched Fisher equals the per-example loop (${backend}, ${arch}, ${label})`, async () => {
        await initEngine({ backend });
        const { ex, params, head, x, y } = setup(arch, shapes[arch], 6);
        const batched = fisherDiagonal(ex, params, head, x, tf.tensor2d(Float32Array.from(y), [y.length, 1]), { kind: 'multiclass', classes: head.bias.shape[0] }, label).map((t) => t.dataSync() as Float32Array);
        const loop = fisherByLoop(ex, params, head, x, y, label);
        batched.forEach((b, p) => assertClose(b, loop[p], `param ${p}`));
      });
    }
  }
}

/** The definition: patch p of example e holds x at tap (i, j) of channel c, at index c·k·k + i·k + j (0 in the padding). */
function patchesByLoop(x: Float32Array, [n, h, w, c]: number[], k: number, s: number, padding: 'valid' | 'same'): { oh: number; ow: number; out: Float32Array } {
  const oh = padding === 'same' ? Math.ceil(h / s) : Math.ceil((h - k + 1) / s);
  const ow = padding === 'same' ? Math.ceil(w / s) : Math.ceil((w - k + 1) / s);
  // 'same' pads (total − total/2) after, total/2 before, as TensorFlow does.
  const pt = padding === 'same' ? Math.floor(Math.max(0, (oh - 1) * s + k - h) / 2) : 0;
  const pl = padding === 'same' ? Math.floor(Math.max(0, (ow - 1) * s + k - w) / 2) : 0;
  const depth = c * k * k;
  const out = new Float32Array(n * oh * ow * depth);
  for (let e = 0; e < n; e++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const y = oy * s + i - pt;
              const xx = ox * s + j - pl;
              const v = y >= 0 && y < h && xx >= 0 && xx < w ? x[((e * h + y) * w + xx) * c + ch] : 0;
              out[((e * oh + oy) * ow + ox) * depth + ch * k * k + i * k + j] = v;
            }
  return { oh, ow, out };
}

for (const backend of backends) {
  test(`unfoldPatches: every tap of every channel in (channel, row, col) order, strides and padding (${backend})`, async () => {
    await initEngine({ backend });
    const rng = new Rng(11);
    const cases: Array<[number[], number, number, 'valid' | 'same']> = [
      [[2, 7, 6, 3], 3, 1, 'same'],
      [[1, 9, 8, 2], 5, 1, 'valid'],
      [[2, 9, 7, 4], 3, 2, 'same'],
      [[1, 8, 9, 2], 3, 2, 'valid'], // a remainder row and column
      [[1, 1, 1, 5], 3, 1, 'same'],
    ];
    for (const [shape, k, s, padding] of cases) {
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const layer: ConvLayer = { kind: 'conv', name: 'c', kernelSize: k, inChannels: shape[3], filters: 1, stride: s, padding };
      const got = tf.tidy(() => unfoldPatches(tf.tensor4d(x, shape as [number, number, number, number]), layer));
      const { oh, ow, out } = patchesByLoop(x, shape, k, s, padding);
      assert.deepEqual(got.shape, [shape[0], oh * ow, shape[3] * k * k], `${JSON.stringify(shape)} k${k} s${s} ${padding}`);
      // One-hot filters: each value is one product with 1, exact on every engine.
      assert.deepEqual(Array.from(got.dataSync()), Array.from(out), `${JSON.stringify(shape)} k${k} s${s} ${padding}`);
      got.dispose();
    }
  });
}

test('Fisher estimation leaks no tensors', async () => {
  await initEngine({ backend: 'cpu' });
  const { ex, params, head, x, y } = setup('lenet', [16, 16, 1], 4);
  const yt = tf.tensor2d(Float32Array.from(y), [y.length, 1]);
  const before = tf.memory().numTensors;
  const f = fisherDiagonal(ex, params, head, x, yt, { kind: 'multiclass', classes: head.bias.shape[0] }, 'exact');
  assert.equal(tf.memory().numTensors, before + f.length);
  f.forEach((t) => t.dispose());
});
