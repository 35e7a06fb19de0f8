// The kernels the segnet extractor and its Fisher need (issue 16), on wasm and on the native engine,
// against tfjs's cpu backend: nearest-neighbour upsampling and its gradient (fsmtl's gather-form kernel),
// the per-example filter-gradient Fisher kernel (FsmtlConvFisher), and a whole segnet step and Fisher.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, nativeStatus, tf } from '../../src/engine/index.js';
import { CONV_FISHER, convFisher, hasConvFisherKernel } from '../../src/engine/conv-fisher.js';
import { makeExtractor } from '../../src/model/extractor.js';
import { applyHead } from '../../src/model/head.js';
import { paramSpecs } from '../../src/model/layers.js';
import { fisherFromLikelihood } from '../../src/sparse/fisher.js';
import type { FisherLikelihood } from '../../src/tasks/types.js';
import { Rng } from '../../src/util/rng.js';
import { assertEngineParity, outputsOn, randn, relError, size, TOL } from './helpers.js';

const native = nativeStatus();
const engines = native.available ? (['wasm', 'native'] as const) : (['wasm'] as const);
if (!native.available) console.log(`# native engine unavailable (${native.reason}): wasm only`);

type Engine = 'cpu' | 'wasm' | 'native';

// These tests move between wasm and native: each switch goes through initEngine.
const select = (backend: Engine) => initEngine({ backend });
const runOn = (backend: Engine, fn: () => tf.Tensor | tf.Tensor[]) => outputsOn(backend, fn, select);
const parity = (engine: Engine, label: string, fn: () => tf.Tensor | tf.Tensor[], tol = TOL) =>
  assertEngineParity(engine, label, fn, { tol, nonzero: true, select });

describe('the cpu reference itself', () => {
  // tfjs-backend-cpu's own kernel read dy at the images' batch stride (wrong from the second example on);
  // fsmtl replaces it (src/engine/resize-nearest.ts). Checked here against the same resize as two gathers.
  for (const align of [false, true]) {
    test(`cpu ResizeNearestNeighborGrad equals the gradient of row and column gathers (batch 3${align ? ', alignCorners' : ''})`, async () => {
      const rng = new Rng(align ? 2 : 1);
      const xs: [number, number, number, number] = [3, 4, 5, 2];
      const out: [number, number] = [9, 7];
      const x = randn(rng, size(xs));
      const r = randn(rng, 3 * 9 * 7 * 2);
      const source = (i: number, inSize: number, outSize: number) => {
        const scale = align && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
        return Math.min(inSize - 1, align ? Math.round(i * scale) : Math.floor(i * scale));
      };
      const rows = Array.from({ length: out[0] }, (_, i) => source(i, xs[1], out[0]));
      const cols = Array.from({ length: out[1] }, (_, i) => source(i, xs[2], out[1]));
      const [viaResize, viaGather, fwdResize, fwdGather] = await runOn('cpu', () => {
        const rt = tf.tensor(r, [3, ...out, 2]);
        const resize = (v: tf.Tensor) => tf.image.resizeNearestNeighbor(v as tf.Tensor4D, out, align);
        const gather = (v: tf.Tensor) => tf.gather(tf.gather(v, tf.tensor1d(rows, 'int32'), 1), tf.tensor1d(cols, 'int32'), 2);
        const xt = tf.tensor4d(x, xs);
        return [
          tf.grad((v: tf.Tensor) => tf.sum(tf.mul(resize(v), rt)))(xt),
          tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gather(v), rt)))(xt),
          resize(xt),
          gather(xt),
        ];
      });
      assert.ok(relError(fwdResize.v, fwdGather.v) === 0, 'the gathers reproduce the forward resize');
      assert.ok(relError(viaResize.v, viaGather.v) <= 1e-6, `gradient differs by ${relError(viaResize.v, viaGather.v)}`);
    });
  }
});

for (const engine of engines) {
  describe(`nearest-neighbour resize and its gradient (${engine})`, () => {
    const cases: Array<{ x: [number, number, number, number]; size: [number, number]; align: boolean }> = [
      { x: [2, 32, 32, 16], size: [64, 64], align: false }, // segnet's last upsampling, scaled down
      { x: [1, 3, 4, 5], size: [7, 9], align: false }, // odd sizes: the decoder of a 30×36 input
      { x: [2, 7, 5, 3], size: [15, 11], align: false },
      { x: [1, 10, 9, 2], size: [4, 3], align: false }, // downsampling: some sources get nothing
      { x: [2, 4, 6, 3], size: [9, 13], align: true },
      { x: [1, 1, 1, 4], size: [3, 2], align: false },
    ];
    for (const c of cases) {
      test(`${JSON.stringify(c.x)} → ${c.size.join('×')}${c.align ? ', alignCorners' : ''}`, async () => {
        const rng = new Rng(size(c.x) + c.size[0]);
        const x = randn(rng, size(c.x));
        const outShape = [c.x[0], ...c.size, c.x[3]];
        const r = randn(rng, size(outShape));
        await parity(engine, 'resize', () => tf.image.resizeNearestNeighbor(tf.tensor4d(x, c.x), c.size, c.align));
        await parity(engine, 'resize grad', () =>
          tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(xx as tf.Tensor4D, c.size, c.align), tf.tensor(r, outShape))))(tf.tensor4d(x, c.x)),
        );
      });
    }
  });

  describe(`FsmtlConvFisher: Σ_i w_i (filter gradient of example i)² (${engine})`, () => {
    const cases: Array<{ x: [number, number, number, number]; k: number; cout: number; stride: number; pad: 'same' | 'valid'; weighted: boolean }> = [
      { x: [3, 9, 8, 2], k: 3, cout: 4, stride: 1, pad: 'same', weighted: false },
      { x: [4, 16, 16, 16], k: 3, cout: 32, stride: 1, pad: 'same', weighted: true }, // deep enough for the conv path of the wasm filter gradient
      { x: [2, 11, 10, 3], k: 5, cout: 6, stride: 2, pad: 'valid', weighted: false },
      { x: [1, 6, 7, 1], k: 3, cout: 2, stride: 1, pad: 'same', weighted: true },
    ];
    for (const c of cases) {
      test(`x${JSON.stringify(c.x)} ${c.k}×${c.k}×${c.cout} stride ${c.stride} ${c.pad}${c.weighted ? ', weighted (one weight 0)' : ''}`, async () => {
        const rng = new Rng(size(c.x) * 7 + c.k);
        const n = c.x[0];
        const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.cout];
        const dyShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, c.stride, c.pad).shape);
        const x = randn(rng, size(c.x));
        const dy = randn(rng, size(dyShape));
        const w = Float32Array.from({ length: n }, (_, i) => (i === n - 1 && n > 1 ? 0 : 0.5 + i));
        // Reference on cpu: each example's gradient of Σ conv(x_i) ⊙ dy_i, squared and weighted.
        const ref = await runOn('cpu', () => {
          const terms = Array.from({ length: n }, (_, i) => {
            const xi = tf.slice(tf.tensor4d(x, c.x), [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
            const dyi = tf.slice(tf.tensor(dy, dyShape), [i, 0, 0, 0], [1, -1, -1, -1]);
            const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi, f as tf.Tensor4D, c.stride, c.pad), dyi)))(tf.zeros(filterShape));
            return tf.mul(tf.square(g), c.weighted ? w[i] : 1);
          });
          return tf.addN(terms);
        });
        await initEngine({ backend: engine });
        assert.ok(hasConvFisherKernel(), `${CONV_FISHER} registered on ${engine}`);
        const got = await runOn(engine, () =>
          convFisher(tf.tensor4d(x, c.x), tf.tensor(dy, dyShape) as tf.Tensor4D, c.weighted ? tf.tensor1d(w) : null, { filterShape, strides: c.stride, pad: c.pad }),
        );
        assert.equal(got[0].shape, ref[0].shape);
        const e = relError(got[0].v, ref[0].v);
        assert.ok(e <= TOL, `differs from the per-example definition by ${e.toExponential(2)}`);
      });
    }
    test('refuses dy that does not fit the filter, naming the kernel', async () => {
      await initEngine({ backend: engine });
      assert.throws(
        () => convFisher(tf.zeros([2, 8, 8, 3]) as tf.Tensor4D, tf.zeros([2, 8, 8, 5]) as tf.Tensor4D, null, { filterShape: [3, 3, 3, 4], strides: 1, pad: 'same' }),
        /FsmtlConvFisher/,
      );
    });
  });

  test(`Exp (native: glibc's expf; the softmax of per-pixel cross-entropy) equals cpu (${engine})`, async () => {
    const rng = new Rng(11);
    // Logits-like values, extremes that overflow and underflow float32, and a size that is no multiple of a vector width.
    const x = randn(rng, 32768 * 21 + 3, 4);
    x.set([0, -0, 88.7, 89, -103, -110, Infinity, -Infinity]);
    const ref = (await runOn('cpu', () => tf.exp(tf.tensor1d(x))))[0].v;
    const got = (await runOn(engine, () => tf.exp(tf.tensor1d(x))))[0].v;
    for (let i = 0; i < x.length; i++) {
      const ok = got[i] === ref[i] || Math.abs(got[i] - ref[i]) <= 2e-6 * Math.abs(ref[i]) + 1e-45;
      assert.ok(ok, `exp(${x[i]}): ${got[i]} vs cpu ${ref[i]}`);
    }
    await parity(engine, 'softmax cross-entropy gradient', () => {
      const logits = tf.tensor2d(x.subarray(8, 8 + 4096 * 21), [4096, 21]);
      const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 4096 }, (_, i) => (i * 7) % 21), 'int32'), 21);
      return tf.grad((l: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, l as tf.Tensor2D))(logits);
    });
  });

  describe(`segnet on ${engine}`, () => {
    const shape: [number, number, number] = [20, 18, 2]; // odd stage sizes: 20×18 → 10×9 → 5×4 → 2×2
    const ex = makeExtractor('segnet', shape, []);
    const specs = paramSpecs(ex.layers);
    const rng = new Rng(5);
    const params = specs.map((s) => randn(rng, s.size, s.role === 'bias' ? 0.1 : Math.sqrt(2 / (s.size / s.shape[s.shape.length - 1]))));
    const head = randn(rng, ex.featureDim * 3, 0.3);
    const hb = randn(rng, 3, 0.1);
    const n = 2;
    const x = randn(rng, n * size(shape));
    const y = randn(rng, n * 20 * 18 * 3);
    const tensors = () => ({
      ps: specs.map((s, i) => tf.tensor(params[i], s.shape)),
      k: tf.tensor2d(head, [ex.featureDim, 3]),
      b: tf.tensor1d(hb),
      xs: tf.tensor4d(x, [n, ...shape]),
      ys: tf.tensor2d(y, [n, 20 * 18 * 3]),
    });

    test('training step: per-pixel head outputs and every parameter gradient equal cpu', async () => {
      await parity(engine, 'segnet step', () => {
        const { ps, k, b, xs, ys } = tensors();
        const f = (...v: tf.Tensor[]) => tf.mean(tf.abs(tf.sub(applyHead(ex, ex.forward(xs, v.slice(0, -2)), v[v.length - 2], v[v.length - 1]), ys))) as tf.Scalar;
        return [applyHead(ex, ex.forward(xs, ps), k, b), ...tf.grads(f)([...ps, k, b])];
      }, 1e-3);
    });

    test('Fisher (per-pixel Gaussian likelihood, per example) equals cpu', async () => {
      const gaussian: FisherLikelihood = {
        terms: 1,
        objective: (out, yy) => tf.mul(-0.5, tf.sum(tf.square(tf.sub(out, yy)))) as tf.Scalar,
        weight: () => null,
      };
      await parity(engine, 'segnet Fisher', () => {
        const { ps, k, b, xs, ys } = tensors();
        return fisherFromLikelihood(ex, ps, { kernel: k, bias: b }, xs, ys, gaussian);
      }, 1e-3);
    });
  });
}
