// The native engine's kernels (OpenBLAS through the addon) against tfjs's cpu backend, on random shapes:
// odd sizes, batch 1, broadcast batches, every transpose, strides, dilations, valid/same/explicit padding.
// Skips (with the reason) where the addon is not built.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, nativeStatus, tf } from '../../src/engine/index.js';
import { nativeAddon } from '../../src/engine/native/addon.js';
import { Rng } from '../../src/util/rng.js';
import { adamStep, adamStepComposite } from '../../src/engine/fused-adam.js';
import { denseFisher, hasDenseFisherKernel } from '../../src/engine/dense-fisher.js';
import { mlpExtractor } from '../../src/model/extractor.js';
import { fisherDiagonal } from '../../src/sparse/fisher.js';
import { TOL, assertEngineParity, cnnGradientCase, outputsOn, randn, relError, size } from './helpers.js';

const status = nativeStatus();
const skip = status.available ? false : `native engine unavailable: ${status.reason}`;
const NATIVE_KERNELS = ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Identity', 'Sum', 'GatherV2', 'MaxPoolGrad', 'FsmtlAdam', 'FsmtlDenseFisher', 'FsmtlConvFisher', 'Exp'];

const runOn = (backend: 'cpu' | 'native', fn: () => tf.Tensor | tf.Tensor[]) => outputsOn(backend, fn);

/** Computes `fn` on cpu and on native and asserts the outputs agree. */
const parity = (label: string, fn: () => tf.Tensor | tf.Tensor[], tol = TOL) => assertEngineParity('native', label, fn, { tol });

before(async () => {
  if (skip) return;
  const info = await initEngine({ backend: 'native' });
  assert.equal(info.backend, 'native');
  for (const k of NATIVE_KERNELS) assert.ok(info.registeredKernels.includes(k), `${k} registered`);
});

const T = [false, true] as const;

describe('native BatchMatMul', { skip }, () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 7, 5],
    [5, 1, 3],
    [17, 33, 9],
    [64, 128, 48],
    [3, 300, 2],
    [31, 5, 1],
    [129, 257, 65],
  ];
  for (const [m, k, n] of shapes) {
    for (const ta of T) {
      for (const tb of T) {
        test(`[${m}x${k}]·[${k}x${n}] transposeA=${ta} transposeB=${tb}`, async () => {
          const rng = new Rng(m * 1000 + k * 10 + n);
          const a = randn(rng, m * k);
          const b = randn(rng, k * n);
          await parity('matmul', () => tf.matMul(tf.tensor2d(a, ta ? [k, m] : [m, k]), tf.tensor2d(b, tb ? [n, k] : [k, n]), ta, tb));
        });
      }
    }
  }

  const batched: Array<{ a: number[]; b: number[] }> = [
    { a: [2, 5, 7], b: [2, 7, 3] },
    { a: [3, 5, 7], b: [1, 7, 4] },
    { a: [1, 5, 7], b: [3, 7, 4] },
    { a: [1, 1, 7], b: [4, 7, 1] },
    { a: [2, 3, 6, 5], b: [2, 3, 5, 4] },
    { a: [6, 5], b: [3, 5, 2] },
    { a: [3, 6, 5], b: [5, 2] },
  ];
  for (const { a: as, b: bs } of batched) {
    for (const ta of T) {
      for (const tb of T) {
        test(`batched ${JSON.stringify(as)}·${JSON.stringify(bs)} transposeA=${ta} transposeB=${tb}`, async () => {
          const sw = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
          const rng = new Rng(size(as) + 7 * size(bs));
          const a = randn(rng, size(as));
          const b = randn(rng, size(bs));
          await parity('batched matmul', () => tf.matMul(tf.tensor(a, sw(as, ta)), tf.tensor(b, sw(bs, tb)), ta, tb));
        });
      }
    }
  }

  test("Fisher's per-example patchesᵀ·δ: [37, 9, 25]ᵀ·[37, 9, 6]", async () => {
    const rng = new Rng(37);
    const a = randn(rng, 37 * 9 * 25);
    const b = randn(rng, 37 * 9 * 6);
    await parity('patches', () => tf.matMul(tf.tensor3d(a, [37, 9, 25]), tf.tensor3d(b, [37, 9, 6]), true, false));
  });

  test('batch dimensions broadcast against each other ([2,1]·[1,3])', async () => {
    const rng = new Rng(99);
    const a = randn(rng, 2 * 4 * 6);
    const b = randn(rng, 3 * 6 * 5);
    // tfjs's cpu kernel does not broadcast [2,1] against [1,3]; tile explicitly for the reference.
    const ref = await runOn('cpu', () => tf.matMul(tf.tile(tf.tensor(a, [2, 1, 4, 6]), [1, 3, 1, 1]), tf.tile(tf.tensor(b, [1, 3, 6, 5]), [2, 1, 1, 1])));
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const got = await runOn('native', () => {
        let x = tf.tensor(a, [2, 1, 4, 6]);
        let y = tf.tensor(b, [1, 3, 6, 5]);
        if (ta) x = tf.transpose(x, [0, 1, 3, 2]);
        if (tb) y = tf.transpose(y, [0, 1, 3, 2]);
        return tf.matMul(x, y, ta, tb);
      });
      assert.equal(got[0].shape, ref[0].shape);
      assert.ok(relError(got[0].v, ref[0].v) <= TOL, `transposeA=${ta} transposeB=${tb}`);
    }
  });

  test('empty inner dimension gives zeros; empty outputs have the right shape', async () => {
    await parity('k = 0', () => [tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])), tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 2]))]);
  });

  test('int32 operands go to the wasm kernel (which refuses them, as on wasm)', async () => {
    await tf.setBackend('native');
    assert.throws(
      () => tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), tf.tensor2d([1, 0, 2, 1, 0, 3], [3, 2], 'int32'))),
      /non-float32/,
    );
  });
});

describe('native _FusedMatMul', { skip }, () => {
  const cases = [
    { m: 9, k: 13, n: 6, activation: 'relu', bias: 6 },
    { m: 1, k: 5, n: 7, activation: 'linear', bias: 7 },
    { m: 8, k: 4, n: 5, activation: 'relu6', bias: 1 },
    { m: 7, k: 3, n: 4, activation: 'leakyrelu', bias: 4 },
    { m: 6, k: 6, n: 6, activation: 'elu', bias: 0 },
    { m: 5, k: 9, n: 3, activation: 'sigmoid', bias: 3 },
    { m: 4, k: 5, n: 6, activation: 'prelu', bias: 6 },
  ] as const;
  for (const c of cases) {
    for (const ta of T) {
      for (const tb of T) {
        test(`[${c.m}x${c.k}]·[${c.k}x${c.n}] ${c.activation} bias[${c.bias}] transposeA=${ta} transposeB=${tb}`, async () => {
          const rng = new Rng(c.m * 100 + c.k * 10 + c.n);
          const a = randn(rng, c.m * c.k);
          const b = randn(rng, c.k * c.n);
          const bias = randn(rng, Math.max(1, c.bias));
          const alpha = randn(rng, c.n);
          await parity('fused matmul', () =>
            tf.fused.matMul({
              a: tf.tensor2d(a, ta ? [c.k, c.m] : [c.m, c.k]),
              b: tf.tensor2d(b, tb ? [c.n, c.k] : [c.k, c.n]),
              transposeA: ta,
              transposeB: tb,
              bias: c.bias ? tf.tensor1d(bias) : undefined,
              activation: c.activation,
              preluActivationWeights: c.activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
              leakyreluAlpha: 0.3,
            }),
          );
        });
      }
    }
  }

  test('batched, b per batch, bias + relu', async () => {
    const rng = new Rng(77);
    const a = randn(rng, 3 * 4 * 5);
    const b = randn(rng, 3 * 5 * 6);
    const bias = randn(rng, 6);
    await parity('batched fused', () =>
      tf.fused.matMul({ a: tf.tensor3d(a, [3, 4, 5]), b: tf.tensor3d(b, [3, 5, 6]), bias: tf.tensor1d(bias), activation: 'relu' }),
    );
  });

  test('a bias that is not per column goes to the wasm kernel (which refuses it, as on wasm)', async () => {
    await tf.setBackend('native');
    assert.throws(
      () => tf.tidy(() => tf.fused.matMul({ a: tf.ones([4, 5]), b: tf.ones([5, 3]), bias: tf.ones([4, 1]) })),
      /rank-1 bias/,
    );
  });
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

const convCases: Array<{ x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad; d?: number | [number, number] }> = [
  { x: [1, 5, 5, 1], f: [3, 3, 1, 1], s: 1, pad: 'same' },
  { x: [2, 8, 7, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
  { x: [2, 9, 9, 2], f: [5, 5, 2, 5], s: 1, pad: 'valid' },
  { x: [3, 12, 12, 6], f: [5, 5, 6, 16], s: 1, pad: 'valid' },
  { x: [2, 11, 10, 4], f: [3, 3, 4, 3], s: 2, pad: 'valid' },
  { x: [1, 7, 9, 5], f: [2, 3, 5, 2], s: [1, 2], pad: 'same' },
  { x: [2, 6, 6, 3], f: [1, 1, 3, 2], s: 1, pad: 'same' }, // pointwise: a plain product
  { x: [2, 7, 5, 3], f: [1, 1, 3, 4], s: 2, pad: 'valid' }, // 1×1 with stride: im2col
  { x: [2, 10, 10, 3], f: [4, 4, 3, 8], s: 2, pad: 'same' },
  { x: [1, 6, 7, 2], f: [3, 3, 2, 3], s: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [1, 9, 8, 2], f: [3, 2, 2, 3], s: 2, pad: [[0, 0], [0, 1], [1, 1], [0, 0]] },
  { x: [1, 28, 28, 1], f: [5, 5, 1, 6], s: 1, pad: 'valid' },
  { x: [3, 8, 8, 5], f: [3, 3, 5, 7], s: 2, pad: 'valid' }, // last row/column unused by the forward pass
  { x: [1, 3, 4, 2], f: [5, 5, 2, 3], s: 1, pad: 'same' }, // filter larger than the input
  { x: [2, 13, 11, 3], f: [3, 3, 3, 2], s: 3, pad: 'same' },
  // The cnn's blocks: 3×3 'same' on odd sizes, colour input, a 1×1 map where only the centre tap sees data.
  { x: [2, 17, 15, 3], f: [3, 3, 3, 32], s: 1, pad: 'same' },
  { x: [2, 7, 9, 32], f: [3, 3, 32, 64], s: 1, pad: 'same' },
  { x: [3, 3, 3, 64], f: [3, 3, 64, 36], s: 1, pad: 'same' },
  { x: [2, 1, 1, 20], f: [3, 3, 20, 8], s: 1, pad: 'same' },
];

// Convolutions run on oneDNN when the addon was built with it; the im2col + OpenBLAS path stays the fallback
// (no oneDNN, or a geometry it declines) and is checked on its own by switching oneDNN off.
const convLibraries = !skip && nativeAddon()?.info().dnn ? [true, false] : [false];
const convLibraryName = (dnnl: boolean) => (dnnl ? nativeAddon()!.info().dnn : 'im2col + OpenBLAS');

for (const dnnl of convLibraries) {
describe(`native Conv2D (${convLibraryName(dnnl)})`, { skip }, () => {
  before(() => void nativeAddon()!.setDnnl(dnnl));
  after(() => void nativeAddon()!.setDnnl(true));
  for (const c of convCases) {
    test(`x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} strides ${JSON.stringify(c.s)} pad ${JSON.stringify(c.pad)}`, async () => {
      const rng = new Rng(size(c.x) * 5 + size(c.f));
      const x = randn(rng, size(c.x));
      const f = randn(rng, size(c.f));
      await parity('conv2d', () => tf.conv2d(tf.tensor4d(x, c.x), tf.tensor4d(f, c.f), c.s, c.pad));
    });
  }
  for (const [d, pad] of [[2, 'valid'], [[2, 3], 'same'], [3, 'same']] as Array<[number | [number, number], 'valid' | 'same']>) {
    test(`dilations ${JSON.stringify(d)} pad ${pad}`, async () => {
      const rng = new Rng(31);
      const x = randn(rng, 2 * 13 * 12 * 3);
      const f = randn(rng, 3 * 3 * 3 * 4);
      await parity('dilated conv2d', () => tf.conv2d(tf.tensor4d(x, [2, 13, 12, 3]), tf.tensor4d(f, [3, 3, 3, 4]), 1, pad, 'NHWC', d));
    });
  }
  test('the patch-unfolding conv of the Fisher estimate (one-hot filter), batch 1 and 5', async () => {
    const rng = new Rng(4);
    for (const n of [1, 5]) {
      const x = randn(rng, n * 12 * 12 * 6);
      await parity('one-hot filter', () => {
        const eye = tf.reshape(tf.oneHot(tf.range(0, 150, 1, 'int32'), 150, 1, 0, 'float32'), [5, 5, 6, 150]) as tf.Tensor4D;
        return tf.conv2d(tf.tensor4d(x, [n, 12, 12, 6]), eye, 1, 'valid');
      });
    }
  });
  test('NCHW goes to the wasm kernel (which refuses it, as on wasm)', async () => {
    await tf.setBackend('native');
    assert.throws(() => tf.tidy(() => tf.conv2d(tf.ones([1, 2, 5, 5]) as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, 'valid', 'NCHW')), /channelsFirst/);
  });
});

describe(`native conv2d gradients, Conv2DBackpropFilter and Conv2DBackpropInput (${convLibraryName(dnnl)})`, { skip }, () => {
  before(() => void nativeAddon()!.setDnnl(dnnl));
  after(() => void nativeAddon()!.setDnnl(true));
  for (const c of convCases) {
    test(`x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} strides ${JSON.stringify(c.s)} pad ${JSON.stringify(c.pad)}`, async () => {
      const rng = new Rng(size(c.x) + size(c.f));
      const x = randn(rng, size(c.x));
      const f = randn(rng, size(c.f));
      const yShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad).shape);
      const r = randn(rng, size(yShape));
      await parity('conv2d grads', () =>
        tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.s, c.pad), tf.tensor(r, yShape))))([
          tf.tensor4d(x, c.x),
          tf.tensor4d(f, c.f),
        ]),
      );
    });
  }

  test('conv2dTranspose (Conv2DBackpropInput as a forward op), stride 2', async () => {
    const rng = new Rng(3);
    const dy = randn(rng, 2 * 4 * 4 * 5);
    const f = randn(rng, 3 * 3 * 3 * 5);
    await parity('conv2dTranspose', () => tf.conv2dTranspose(tf.tensor4d(dy, [2, 4, 4, 5]), tf.tensor4d(f, [3, 3, 3, 5]), [2, 8, 8, 3], 2, 'same'));
  });

  test('batches larger than the im2col buffer are processed in slices', async () => {
    const addon = nativeAddon()!;
    // 4·4·3 = 48 floats per output position, 36 positions per example: 2000 floats hold one example.
    const old = addon.setScratchLimit(2000);
    const wasDnnl = addon.setDnnl(false); // slicing belongs to the im2col path
    try {
      const rng = new Rng(9);
      const shape: [number, number, number, number] = [5, 8, 8, 3];
      const x = randn(rng, size(shape));
      const f = randn(rng, 3 * 3 * 3 * 4);
      const r = randn(rng, 5 * 6 * 6 * 4);
      await parity('sliced conv', () => {
        const xx = tf.tensor4d(x, shape);
        const ff = tf.tensor4d(f, [3, 3, 3, 4]);
        const y = tf.conv2d(xx, ff, 1, 'valid');
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'), tf.tensor(r, [5, 6, 6, 4]))))([xx, ff]);
        return [y, dx, df];
      });
    } finally {
      addon.setScratchLimit(old);
      addon.setDnnl(wasDnnl);
    }
  });
});
}

describe('native MaxPoolGrad', { skip }, () => {
  const cases: Array<{ x: [number, number, number, number]; k: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid'; ties?: boolean }> = [
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
    { x: [1, 7, 9, 4], k: 2, s: 2, pad: 'valid' },
    { x: [3, 9, 7, 2], k: 3, s: 2, pad: 'same' },
    { x: [2, 6, 6, 5], k: 3, s: 1, pad: 'same' }, // overlapping windows accumulate
    { x: [1, 5, 5, 1], k: 2, s: 2, pad: 'same' },
    { x: [2, 8, 10, 6], k: [2, 3], s: [2, 3], pad: 'valid' },
    { x: [2, 8, 8, 4], k: 2, s: 2, pad: 'valid', ties: true },
    { x: [2, 9, 9, 4], k: 3, s: 2, pad: 'same', ties: true },
    { x: [1, 7, 7, 3], k: 2, s: 2, pad: 'same', ties: true },
    // The cnn's pools: odd sizes leave a last row and column outside every window; channels not a multiple of the vector width.
    { x: [2, 17, 15, 35], k: 2, s: 2, pad: 'valid' },
    { x: [3, 7, 9, 33], k: 2, s: 2, pad: 'valid', ties: true },
    { x: [2, 3, 3, 128], k: 2, s: 2, pad: 'valid' },
  ];
  for (const c of cases) {
    test(`x${JSON.stringify(c.x)} window ${JSON.stringify(c.k)} strides ${JSON.stringify(c.s)} ${c.pad}${c.ties ? ' (ties after relu)' : ''}`, async () => {
      const rng = new Rng(size(c.x) * 3 + (c.ties ? 1 : 0));
      const x = randn(rng, size(c.x));
      if (c.ties) for (let i = 0; i < x.length; i++) x[i] = Math.max(0, Math.round(x[i]));
      const yShape = tf.tidy(() => tf.maxPool(tf.zeros(c.x) as tf.Tensor4D, c.k, c.s, c.pad).shape);
      const r = randn(rng, size(yShape));
      await parity('maxpool grad', () =>
        tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, c.k, c.s, c.pad), tf.tensor(r, yShape))))(tf.tensor4d(x, c.x)),
      );
    });
  }
});

describe('native LeNet-style training step', { skip }, () => {
  test('gradients of conv→relu→maxpool→conv→relu→maxpool→dense equal cpu (batch 1 and 6)', async () => {
    for (const n of [1, 6]) {
      const rng = new Rng(2024 + n);
      const xs = randn(rng, n * 28 * 28);
      const labels = Array.from({ length: n }, () => rng.int(10));
      const ws = [randn(rng, 150, 0.2), randn(rng, 6, 0.1), randn(rng, 2400, 0.08), randn(rng, 16, 0.1), randn(rng, 2560, 0.05), randn(rng, 10, 0.1)];
      await parity('lenet grads', () => {
        const x = tf.tensor4d(xs, [n, 28, 28, 1]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
        const shapes = [[5, 5, 1, 6], [6], [5, 5, 6, 16], [16], [256, 10], [10]];
        const params = ws.map((w, i) => tf.tensor(w, shapes[i]));
        const loss = (...p: tf.Tensor[]) => {
          let h = tf.relu(tf.add(tf.conv2d(x, p[0] as tf.Tensor4D, 1, 'valid'), p[1])) as tf.Tensor4D;
          h = tf.maxPool(h, 2, 2, 'valid');
          h = tf.relu(tf.add(tf.conv2d(h, p[2] as tf.Tensor4D, 1, 'valid'), p[3])) as tf.Tensor4D;
          h = tf.maxPool(h, 2, 2, 'valid');
          return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.reshape(h, [n, 256]), p[4]), p[5])) as tf.Scalar;
        };
        const { value, grads } = tf.valueAndGrads(loss)(params);
        return [value, ...grads];
      });
    }
  });
});

describe('native cnn training step', { skip }, () => {
  // The cnn extractor itself on an odd-sized colour input: 'same' convs, floor pools, broadcast bias adds,
  // ReLU and their gradients, batch 1 and 5.
  for (const n of [1, 5]) {
    test(`gradients of every cnn parameter equal cpu (batch ${n}, 18×17×3)`, async () => {
      await parity('cnn grads', cnnGradientCase(n));
    });
  }
});

describe('native Sum, Identity, GatherV2', { skip }, () => {
  const sums: Array<{ shape: number[]; axis: number | number[]; keepDims?: boolean }> = [
    { shape: [256, 512], axis: 0 }, // a bias gradient
    { shape: [5, 17, 15, 33], axis: [0, 1, 2] }, // a conv bias gradient (NHWC)
    { shape: [1, 7], axis: 0 },
    { shape: [5, 3, 4], axis: [0, 1] },
    { shape: [2, 5, 3, 4], axis: [1, 2], keepDims: true },
    { shape: [4, 6, 5], axis: 1 },
    { shape: [6, 5], axis: 1 }, // innermost: the wasm kernel
    { shape: [3, 4, 5], axis: [0, 2] }, // not contiguous: the wasm kernel
    { shape: [0, 4], axis: 0 },
  ];
  for (const c of sums) {
    test(`sum ${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)}${c.keepDims ? ' keepDims' : ''}`, async () => {
      const rng = new Rng(size(c.shape) + 3);
      const x = randn(rng, size(c.shape));
      await parity('sum', () => tf.sum(tf.tensor(x, c.shape), c.axis, c.keepDims));
    });
  }
  test('int32 sums go to the wasm kernel', async () => {
    await parity('int32 sum', () => tf.cast(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0), 'float32'));
  });
  test('identity (tf.clone) shares memory safely: the copy outlives the original', async () => {
    await tf.setBackend('native');
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
    b.dispose();
  });
  test('gather of a batch of images and of labels', async () => {
    const rng = new Rng(14);
    const x = randn(rng, 20 * 28 * 28);
    await parity('gather', () => [
      tf.gather(tf.tensor4d(x, [20, 28, 28, 1]), tf.tensor1d([19, 0, 5, 5], 'int32')),
      tf.cast(tf.gather(tf.tensor1d([3, 1, 4, 1, 5], 'int32'), tf.tensor1d([4, 0], 'int32')), 'float32'),
    ]);
  });
});

describe('native FsmtlAdam (one-pass Adam update)', { skip }, () => {
  // Odd sizes, a scalar, and values that stress the arithmetic: zero gradients, tiny second moments.
  const shapes: number[][] = [[1], [7], [33, 17], [3, 3, 2, 5], [784, 512]];
  for (const shape of shapes) {
    test(`[${shape}] equals the composite ops on cpu bit for bit`, async () => {
      const rng = new Rng(shape.length * 1000 + size(shape));
      const n = size(shape);
      const g = randn(rng, n);
      const m = randn(rng, n, 0.1);
      const v = randn(rng, n).map((x) => x * x * 1e-3);
      g[0] = 0;
      v[0] = 0;
      const attrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 1e-3 * Math.sqrt(1 - 0.999 ** 7) / (1 - 0.9 ** 7) };
      const make = () => [tf.tensor(g, shape), tf.tensor(m, shape), tf.tensor(v, shape)] as const;
      const ref = await runOn('cpu', () => adamStepComposite(...make(), attrs));
      const got = await runOn('native', () => adamStep(...make(), attrs));
      ref.forEach((r, i) => {
        assert.equal(got[i].shape, r.shape);
        assert.deepEqual(Array.from(got[i].v), Array.from(r.v), `output ${i}`);
      });
    });
  }

  test('refuses moments of another shape, naming them', async () => {
    await tf.setBackend('native');
    assert.throws(() => adamStep(tf.zeros([4]), tf.zeros([4]), tf.zeros([5]), { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 1e-3 }), /differ in shape/);
  });
});

describe('native FsmtlDenseFisher (the MLP Fisher in one call)', { skip }, () => {
  // The generic tfjs path on cpu is the reference; odd widths, batch 1, one to three layers, every label mode.
  const cases: Array<{ n: number; dims: number[]; classes: number }> = [
    { n: 1, dims: [9, 5], classes: 3 },
    { n: 37, dims: [31, 17, 13], classes: 10 },
    { n: 64, dims: [50, 33, 20, 7], classes: 4 },
  ];
  for (const { n, dims, classes } of cases) {
    for (const label of ['predicted', 'true', 'exact'] as const) {
      test(`N ${n}, widths ${dims.join('-')}, ${classes} classes, ${label}: equals the generic path on cpu`, async () => {
        const rng = new Rng(n * 100 + dims.length * 10 + classes);
        const hidden = dims.slice(1);
        const ex = mlpExtractor([dims[0], 1, 1], hidden);
        const widths = [...dims, classes];
        const values = widths.slice(0, -1).flatMap((d, l) => [randn(rng, d * widths[l + 1], 1 / Math.sqrt(d)), randn(rng, widths[l + 1], 0.1)]);
        const x = randn(rng, n * dims[0]);
        const y = Int32Array.from({ length: n }, () => rng.int(classes));
        const compute = () => {
          const ts = values.map((v, i) => (i % 2 === 0 ? tf.tensor2d(v, [widths[i / 2], widths[i / 2 + 1]]) : tf.tensor1d(v)));
          const head = { kernel: ts[ts.length - 2], bias: ts[ts.length - 1] };
          return fisherDiagonal(ex, ts.slice(0, -2), head, tf.tensor4d(x, [n, dims[0], 1, 1]), tf.tensor2d(Float32Array.from(y), [n, 1]), { kind: 'multiclass', classes }, label);
        };
        const ref = await runOn('cpu', compute);
        await tf.setBackend('native');
        assert.ok(hasDenseFisherKernel(), 'the native engine registers the kernel');
        const got = await runOn('native', compute);
        assert.equal(got.length, 2 * hidden.length);
        ref.forEach((r, i) => {
          assert.equal(got[i].shape, r.shape, `output ${i} shape`);
          const scale = r.v.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
          assert.ok(scale > 0, `output ${i}: the reference is all zeros, the test would prove nothing`);
          r.v.forEach((v, j) => assert.ok(Math.abs(got[i].v[j] - v) <= 1e-4 * scale, `output ${i}[${j}]: native ${got[i].v[j]}, cpu ${v}`));
        });
      });
    }
  }

  test('refuses parameters that do not chain, naming them', async () => {
    await tf.setBackend('native');
    const x = tf.zeros([2, 4]) as tf.Tensor2D;
    const y = tf.zeros([2], 'int32') as tf.Tensor1D;
    assert.throws(() => denseFisher(x, y, [tf.zeros([5, 3]), tf.zeros([3])], tf.zeros([3, 2]), tf.zeros([2]), 'predicted'), /parameter 0 is float32 \[5,3\], expected float32 \[4,\*\]/);
    assert.throws(() => denseFisher(x, y, [tf.zeros([4, 3]), tf.zeros([2])], tf.zeros([3, 2]), tf.zeros([2]), 'true'), /parameter 1/);
    tf.dispose([x, y]);
  });
});

describe('native heap handling', { skip }, () => {
  test('results stay right after the wasm heap grows', async () => {
    await tf.setBackend('native');
    const rng = new Rng(10);
    const a = randn(rng, 40 * 30);
    const b = randn(rng, 30 * 20);
    const run = () => tf.tidy(() => tf.matMul(tf.tensor2d(a, [40, 30]), tf.tensor2d(b, [30, 20])).dataSync() as Float32Array);
    const before = run();
    // A tensor larger than anything allocated so far makes the heap grow (a new ArrayBuffer).
    const big = tf.zeros([64 * 1024 * 1024]);
    const after = run();
    big.dispose();
    assert.deepEqual(after, before);
  });

  test('offsets outside the heap are refused, not read', () => {
    const addon = nativeAddon()!;
    assert.throws(() => addon.gemm(0, 0, 4, 4, 4, 2 ** 40, 4, 0, 4, 0, 4, 0, 1, 0, 0, 0), /outside the heap/);
    assert.throws(() => addon.conv(0, 0, 0, 2 ** 40, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 0, 0, 2, 2, 1), /outside the heap/);
    assert.throws(() => addon.gemm(0, 0, -1, 4, 4, 0, 4, 0, 4, 0, 4, 0, 1, 0, 0, 0), /negative/);
  });

  test('no tensors leak through the kernels', async () => {
    await tf.setBackend('native');
    const rng = new Rng(8);
    const a = randn(rng, 6 * 5);
    const w = randn(rng, 3 * 3 * 2 * 4);
    const x = randn(rng, 2 * 6 * 6 * 2);
    const run = () =>
      tf.tidy(() => {
        const g1 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q, true, true)))([tf.tensor2d(a, [5, 6]), tf.tensor2d(a, [6, 5])]);
        const g2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same')))([
          tf.tensor4d(x, [2, 6, 6, 2]),
          tf.tensor4d(w, [3, 3, 2, 4]),
        ]);
        return [...g1, ...g2].map((t) => tf.sum(t));
      });
    tf.dispose(run());
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    tf.dispose(run());
    assert.equal(tf.memory().numTensors, before);
    assert.equal(backend.numDataIds(), ids);
  });
});
