// Per-pixel task heads (src/model/head.ts): a head on a dense-prediction extractor is a 1×1 convolution
// with the same [featureDim, outputs] kernel; the model, the predictor and the Fisher apply it that way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { makeExtractor, type Extractor } from '../../src/model/extractor.js';
import { applyHead, headOutputWidth } from '../../src/model/head.js';
import { MultiTaskModel } from '../../src/model/multitask-model.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initParams } from '../../src/model/init.js';
import { fisherFromLikelihood, FISHER_PIXEL_CHUNK } from '../../src/sparse/fisher.js';
import type { FisherLikelihood } from '../../src/tasks/types.js';
import { Rng } from '../../src/util/rng.js';

/** A one-conv dense-prediction extractor: conv3×3 'same' + ReLU, features at every pixel. */
function pixelExtractor(h: number, w: number, c: number, f: number): Extractor {
  return {
    arch: 'cnn',
    layers: [{ kind: 'conv', name: 'conv0', kernelSize: 3, inChannels: c, filters: f, stride: 1, padding: 'same' }],
    inputShape: [h, w, c],
    featureDim: f,
    pixels: { height: h, width: w },
    preActivationShapes: (n) => [[n, h, w, f]],
    forward(x, params, hooks) {
      hooks?.input?.(0, x);
      let z: tf.Tensor = tf.add(tf.conv2d(x, params[0] as tf.Tensor4D, 1, 'same'), params[1]);
      if (hooks?.preActivation) z = hooks.preActivation(0, z);
      return tf.reshape(tf.relu(z), [x.shape[0], -1]) as tf.Tensor2D;
    },
  };
}

const randn = (rng: Rng, n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());

test('a per-pixel head is a 1×1 convolution of the feature map, NHWC flattened', async () => {
  await initEngine({ backend: 'cpu' });
  const rng = new Rng(1);
  const [n, h, w, f, C] = [3, 4, 5, 6, 7];
  const ex = { pixels: { height: h, width: w }, featureDim: f };
  const feats = tf.tensor2d(randn(rng, n * h * w * f), [n, h * w * f]);
  const kernel = tf.tensor2d(randn(rng, f * C), [f, C]);
  const bias = tf.tensor1d(randn(rng, C));
  const out = applyHead(ex, feats, kernel, bias);
  assert.deepEqual(out.shape, [n, h * w * C]);
  assert.equal(headOutputWidth(ex, C), h * w * C);
  const ref = tf.add(tf.conv2d(tf.reshape(feats, [n, h, w, f]) as tf.Tensor4D, tf.reshape(kernel, [1, 1, f, C]) as tf.Tensor4D, 1, 'valid'), bias);
  const a = out.dataSync();
  const b = ref.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `element ${i}: ${a[i]} vs ${b[i]}`);
});

test('pixels = 1×1 gives the same model outputs as an extractor without a pixel grid', async () => {
  await initEngine({ backend: 'cpu' });
  const plain = makeExtractor('mlp', [4, 4, 1], [5]);
  const grid: Extractor = { ...plain, pixels: { height: 1, width: 1 } };
  const x = tf.randomUniform([3, 4, 4, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const m1 = new MultiTaskModel(plain, [3, 1], 7);
  const a = m1.logits(0, x, m1.tower(0)).arraySync();
  m1.dispose();
  const m2 = new MultiTaskModel(grid, [3, 1], 7);
  const b = m2.logits(0, x, m2.tower(0)).arraySync();
  assert.deepEqual(m2.logits(1, x, m2.tower(0)).shape, [3, 1]);
  m2.dispose();
  assert.deepEqual(b, a);
});

test('MultiTaskModel outputs one head vector per pixel, heads keep [featureDim, outputs]', async () => {
  await initEngine({ backend: 'cpu' });
  const ex = pixelExtractor(5, 4, 2, 3);
  const m = new MultiTaskModel(ex, [6, 1], 3);
  assert.deepEqual(m.heads[0].kernel.shape, [3, 6]);
  const x = tf.randomUniform([2, 5, 4, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
  const out = m.logits(0, x, m.tower(0));
  assert.deepEqual(out.shape, [2, 5 * 4 * 6]);
  // Pixel (1, 2) of example 1 is its feature vector times the head.
  const feats = tf.reshape(m.features(x, m.tower(0)), [2, 5, 4, 3]);
  const v = tf.reshape(tf.slice(feats, [1, 1, 2, 0], [1, 1, 1, 3]), [1, 3]) as tf.Tensor2D;
  const expect = tf.add(tf.matMul(v, m.heads[0].kernel), m.heads[0].bias).dataSync();
  const got = out.dataSync().subarray((1 * 20 + 1 * 4 + 2) * 6, (1 * 20 + 1 * 4 + 2) * 6 + 6);
  for (let c = 0; c < 6; c++) assert.ok(Math.abs(got[c] - expect[c]) < 1e-5, `class ${c}: ${got[c]} vs ${expect[c]}`);
  m.dispose();
});

// A per-pixel unit-variance Gaussian: log p(y | x) = Σ_pixels −½ (out − y)², the example's likelihood a sum over its pixels.
const gaussianPerPixel: FisherLikelihood = {
  terms: 1,
  objective: (out, y) => tf.mul(-0.5, tf.sum(tf.square(tf.sub(out, y)))) as tf.Scalar,
  weight: () => null,
};

for (const backend of ['cpu', 'wasm'] as const) {
  test(`per-pixel Fisher is per example: squared gradients of each example's pixel sum (${backend})`, async () => {
    await initEngine({ backend });
    const rng = new Rng(9);
    const [h, w, c, f, C] = [5, 6, 2, 4, 3];
    // More examples than one chunk, so that the chunked path is exercised too.
    const n = FISHER_PIXEL_CHUNK + 3;
    const ex = pixelExtractor(h, w, c, f);
    const specs = paramSpecs(ex.layers);
    const params = initParams(specs, rng).map((v, i) => {
      if (specs[i].role === 'bias') for (let j = 0; j < v.length; j++) v[j] = 0.1 * rng.normal();
      return tf.tensor(v, specs[i].shape);
    });
    const head = { kernel: tf.tensor2d(randn(rng, f * C), [f, C]), bias: tf.tensor1d(randn(rng, C)) };
    const x = tf.tensor4d(randn(rng, n * h * w * c), [n, h, w, c]);
    const y = tf.tensor2d(randn(rng, n * h * w * C), [n, h * w * C]);
    const batched = fisherFromLikelihood(ex, params, head, x, y, gaussianPerPixel).map((t) => t.dataSync() as Float32Array);
    // The definition, one example at a time.
    const ref = params.map((p) => new Float32Array(p.size));
    for (let i = 0; i < n; i++) {
      const xi = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const yi = tf.slice(y, [i, 0], [1, -1]) as tf.Tensor2D;
      const grads = tf.grads((...ps: tf.Tensor[]) => gaussianPerPixel.objective(applyHead(ex, ex.forward(xi, ps), head.kernel, head.bias), yi, 0))(params);
      grads.forEach((g, p) => g.dataSync().forEach((d, j) => (ref[p][j] += (d * d) / n)));
    }
    // Not the square of the batch gradient: that would differ (cross terms between examples).
    batched.forEach((b, p) => {
      const scale = Math.max(...ref[p].map(Math.abs));
      assert.ok(scale > 0);
      b.forEach((v, j) => assert.ok(Math.abs(v - ref[p][j]) <= 1e-4 * scale, `param ${p}[${j}]: batched ${v} vs loop ${ref[p][j]}`));
    });
  });
}
