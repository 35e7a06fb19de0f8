// fsmtl's wasm kernels against tfjs's cpu backend (the reference), on random shapes.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf, useStockWasmKernels } from '../../src/engine/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertParity, cnnGradientCase, randn, relError, runOn, size } from './helpers.js';

const FSMTL_KERNELS = ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'OneHot', 'GatherV2', 'Sum', 'FsmtlConvFisher', 'ResizeNearestNeighborGrad'];

before(async () => {
  const info = await initEngine({ backend: 'wasm' });
  assert.equal(info.backend, 'wasm');
  assert.deepEqual([...info.registeredKernels].sort(), [...FSMTL_KERNELS].sort());
});

const T = [false, true] as const;

describe('parity helper', () => {
  test('detects a wrong result', async () => {
    const rng = new Rng(1);
    const a = randn(rng, 12);
    const b = a.slice();
    b[5] += 0.01 * Math.max(1, ...Array.from(a, Math.abs));
    assert.ok(relError(b, a) > 1e-3);
    assert.equal(relError(a, a), 0);
    // A transposed product is not the product: the check must notice.
    const x = randn(rng, 4 * 4);
    await assert.rejects(
      (async () => {
        const ref = await runOn('cpu', () => tf.matMul(tf.tensor2d(x, [4, 4]), tf.tensor2d(x, [4, 4])));
        const got = await runOn('wasm', () => tf.matMul(tf.tensor2d(x, [4, 4]), tf.tensor2d(x, [4, 4]), true));
        assert.ok(relError(got[0], ref[0]) <= 1e-4);
      })(),
    );
  });
});

describe('BatchMatMul', () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 7, 5],
    [5, 1, 3],
    [17, 33, 9],
    [64, 128, 48],
    [3, 300, 2],
    [31, 5, 1],
  ];
  for (const [m, k, n] of shapes) {
    for (const ta of T) {
      for (const tb of T) {
        test(`[${m}x${k}]·[${k}x${n}] transposeA=${ta} transposeB=${tb}`, async () => {
          const rng = new Rng(m * 1000 + k * 10 + n);
          const a = randn(rng, m * k);
          const b = randn(rng, k * n);
          await assertParity('matmul', () =>
            tf.matMul(tf.tensor2d(a, ta ? [k, m] : [m, k]), tf.tensor2d(b, tb ? [n, k] : [k, n]), ta, tb),
          );
        });
      }
    }
  }

  const batched: Array<{ a: number[]; b: number[] }> = [
    { a: [2, 5, 7], b: [2, 7, 3] }, // equal batches
    { a: [3, 5, 7], b: [1, 7, 4] }, // b broadcast
    { a: [1, 5, 7], b: [3, 7, 4] }, // a broadcast
    { a: [1, 1, 7], b: [4, 7, 1] },
    { a: [2, 3, 6, 5], b: [2, 3, 5, 4] }, // rank 4
    { a: [6, 5], b: [3, 5, 2] }, // rank 2 × rank 3
  ];
  for (const { a: as, b: bs } of batched) {
    for (const ta of T) {
      for (const tb of T) {
        test(`batched ${JSON.stringify(as)}·${JSON.stringify(bs)} transposeA=${ta} transposeB=${tb}`, async () => {
          const rng = new Rng(size(as) + 7 * size(bs));
          const sw = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
          const a = randn(rng, size(as));
          const b = randn(rng, size(bs));
          await assertParity('batched matmul', () =>
            tf.matMul(tf.tensor(a, sw(as, ta)), tf.tensor(b, sw(bs, tb)), ta, tb),
          );
        });
      }
    }
  }

  test('batch dimensions broadcast against each other ([2,1]·[1,3])', async () => {
    const rng = new Rng(99);
    const a = randn(rng, 2 * 4 * 6);
    const b = randn(rng, 3 * 6 * 5);
    // tfjs's cpu kernel does not broadcast [2,1] against [1,3]; tile explicitly for the reference.
    const ref = await runOn('cpu', () =>
      tf.matMul(tf.tile(tf.tensor(a, [2, 1, 4, 6]), [1, 3, 1, 1]), tf.tile(tf.tensor(b, [1, 3, 6, 5]), [2, 1, 1, 1])),
    );
    for (const [ta, tb] of [[false, false], [true, true]] as const) {
      const got = await runOn('wasm', () => {
        let x = tf.tensor(a, [2, 1, 4, 6]);
        let y = tf.tensor(b, [1, 3, 6, 5]);
        if (ta) x = tf.transpose(x, [0, 1, 3, 2]);
        if (tb) y = tf.transpose(y, [0, 1, 3, 2]);
        return tf.matMul(x, y, ta, tb);
      });
      assert.ok(relError(got[0], ref[0]) <= 1e-4);
    }
  });

  test('a weight reused under another shape (shared data id) is not mistaken for its first shape', async () => {
    const rng = new Rng(5);
    const w = randn(rng, 24);
    const x = randn(rng, 2 * 4);
    const y = randn(rng, 3 * 6);
    await assertParity('reshaped weight', () => {
      const w46 = tf.tensor2d(w, [4, 6]);
      const w64 = tf.reshape(w46, [6, 4]);
      return [tf.matMul(tf.tensor2d(x, [2, 4]), w46), tf.matMul(tf.tensor2d(y, [3, 6]), w64)];
    });
  });
});

describe('_FusedMatMul', () => {
  const cases: Array<{ m: number; k: number; n: number; activation: tf.fused.Activation; bias?: 'n' | '1'; prelu?: boolean }> = [
    { m: 9, k: 13, n: 7, activation: 'relu', bias: 'n' },
    { m: 1, k: 5, n: 3, activation: 'relu', bias: 'n' },
    { m: 33, k: 64, n: 17, activation: 'linear' },
    { m: 8, k: 6, n: 5, activation: 'linear', bias: '1' },
    { m: 8, k: 6, n: 5, activation: 'elu', bias: 'n' },
    { m: 8, k: 6, n: 5, activation: 'sigmoid', bias: 'n' },
    { m: 8, k: 6, n: 5, activation: 'leakyrelu', bias: 'n' },
    { m: 8, k: 6, n: 5, activation: 'prelu', bias: 'n', prelu: true },
    { m: 8, k: 6, n: 5, activation: 'relu6', bias: 'n' },
  ];
  for (const c of cases) {
    for (const ta of T) {
      for (const tb of T) {
        test(`[${c.m}x${c.k}]·[${c.k}x${c.n}] ${c.activation}${c.bias ? ` bias[${c.bias}]` : ''} transposeA=${ta} transposeB=${tb}`, async () => {
          const rng = new Rng(c.m + 31 * c.k + 977 * c.n + (ta ? 3 : 0) + (tb ? 5 : 0));
          const a = randn(rng, c.m * c.k, 3);
          const b = randn(rng, c.k * c.n);
          const bias = randn(rng, c.bias === '1' ? 1 : c.n);
          const alpha = randn(rng, c.n, 0.3);
          await assertParity('fused matmul', () =>
            tf.fused.matMul({
              a: tf.tensor2d(a, ta ? [c.k, c.m] : [c.m, c.k]),
              b: tf.tensor2d(b, tb ? [c.n, c.k] : [c.k, c.n]),
              transposeA: ta,
              transposeB: tb,
              bias: c.bias ? tf.tensor1d(bias) : undefined,
              activation: c.activation,
              preluActivationWeights: c.prelu ? tf.tensor1d(alpha) : undefined,
              leakyreluAlpha: 0.15,
            }),
          );
        });
      }
    }
  }

  test('batched, b per batch, bias + relu', async () => {
    const rng = new Rng(12);
    const a = randn(rng, 3 * 4 * 5);
    const b = randn(rng, 3 * 5 * 6);
    const bias = randn(rng, 6);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      await assertParity('batched fused matmul', () =>
        tf.fused.matMul({
          a: tf.tensor3d(a, ta ? [3, 5, 4] : [3, 4, 5]),
          b: tf.tensor3d(b, tb ? [3, 6, 5] : [3, 5, 6]),
          transposeA: ta,
          transposeB: tb,
          bias: tf.tensor1d(bias),
          activation: 'relu',
        }),
      );
    }
  });
});

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

describe('conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput)', () => {
  const cases: Array<{ x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad }> = [
    { x: [1, 5, 5, 1], f: [3, 3, 1, 1], s: 1, pad: 'same' },
    { x: [2, 8, 7, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
    { x: [2, 9, 9, 2], f: [5, 5, 2, 5], s: 1, pad: 'valid' },
    { x: [3, 12, 12, 6], f: [5, 5, 6, 16], s: 1, pad: 'valid' },
    { x: [2, 11, 10, 4], f: [3, 3, 4, 3], s: 2, pad: 'valid' },
    { x: [1, 7, 9, 5], f: [2, 3, 5, 2], s: [1, 2], pad: 'same' },
    { x: [2, 6, 6, 3], f: [1, 1, 3, 2], s: 1, pad: 'same' },
    { x: [2, 10, 10, 3], f: [4, 4, 3, 8], s: 2, pad: 'same' },
    { x: [1, 6, 7, 2], f: [3, 3, 2, 3], s: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
    { x: [1, 9, 8, 2], f: [3, 2, 2, 3], s: 2, pad: [[0, 0], [0, 1], [1, 1], [0, 0]] },
    { x: [1, 28, 28, 1], f: [5, 5, 1, 6], s: 1, pad: 'valid' },
    // The last row/column is unused by the forward pass: the filter gradient takes its im2col path.
    { x: [3, 8, 8, 5], f: [3, 3, 5, 7], s: 2, pad: 'valid' },
    // The cnn's blocks: 3×3 'same' on odd sizes, colour input, a 1×1 map where only the centre tap sees data.
    // The filter gradient of the first (depth 27) takes the im2col path, the others (depth ≥ 64) the transposed conv.
    { x: [2, 17, 15, 3], f: [3, 3, 3, 32], s: 1, pad: 'same' },
    { x: [2, 7, 9, 32], f: [3, 3, 32, 64], s: 1, pad: 'same' },
    { x: [3, 3, 3, 64], f: [3, 3, 64, 36], s: 1, pad: 'same' },
    { x: [2, 1, 1, 20], f: [3, 3, 20, 8], s: 1, pad: 'same' },
  ];
  for (const c of cases) {
    test(`x${JSON.stringify(c.x)} f${JSON.stringify(c.f)} strides ${JSON.stringify(c.s)} pad ${JSON.stringify(c.pad)}`, async () => {
      const rng = new Rng(size(c.x) + size(c.f));
      const x = randn(rng, size(c.x));
      const f = randn(rng, size(c.f));
      // dL/dy = r: a fixed random cotangent, so that every output position matters.
      const yShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad).shape);
      const r = randn(rng, size(yShape));
      await assertParity('conv2d grads', () => {
        const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.s, c.pad), tf.tensor(r, yShape))),
        );
        return g([tf.tensor4d(x, c.x), tf.tensor4d(f, c.f)]);
      });
    });
  }

  test('conv2dTranspose (Conv2DBackpropInput as a forward op), stride 2', async () => {
    const rng = new Rng(3);
    const dy = randn(rng, 2 * 4 * 4 * 5);
    const f = randn(rng, 3 * 3 * 3 * 5);
    await assertParity('conv2dTranspose', () =>
      tf.conv2dTranspose(tf.tensor4d(dy, [2, 4, 4, 5]), tf.tensor4d(f, [3, 3, 3, 5]), [2, 8, 8, 3], 2, 'same'),
    );
  });
});

describe('MaxPoolGrad', () => {
  const cases: Array<{ x: [number, number, number, number]; k: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid'; ties?: boolean }> = [
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
    { x: [1, 7, 9, 4], k: 2, s: 2, pad: 'valid' },
    { x: [3, 9, 7, 2], k: 3, s: 2, pad: 'same' },
    { x: [2, 6, 6, 5], k: 3, s: 1, pad: 'same' },
    { x: [1, 5, 5, 1], k: 2, s: 2, pad: 'same' },
    { x: [2, 8, 10, 6], k: [2, 3], s: [2, 3], pad: 'valid' },
    { x: [2, 8, 8, 4], k: 2, s: 2, pad: 'valid', ties: true },
    { x: [2, 9, 9, 4], k: 3, s: 2, pad: 'same', ties: true },
    { x: [1, 7, 9, 3], k: 2, s: 2, pad: 'valid', ties: true },
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
      await assertParity('maxpool grad', () =>
        tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, c.k, c.s, c.pad), tf.tensor(r, yShape))))(
          tf.tensor4d(x, c.x),
        ),
      );
    });
  }
});

describe('OneHot', () => {
  for (const dtype of ['float32', 'int32'] as const) {
    test(`dtype ${dtype}, on/off values, out-of-range indices`, async () => {
      const idx = [0, 3, 2, -1, 7, 1];
      await assertParity('oneHot', () => [
        tf.oneHot(tf.tensor1d(idx, 'int32'), 4, 1, 0, dtype),
        tf.oneHot(tf.tensor2d(idx, [2, 3], 'int32'), 5, dtype === 'float32' ? 0.9 : 3, dtype === 'float32' ? 0.025 : -1, dtype),
      ]);
    });
  }

  test('a float32 one-hot filter unfolds patches (conv2d with an identity filter)', async () => {
    const rng = new Rng(4);
    const x = randn(rng, 2 * 9 * 9 * 2);
    await assertParity('one-hot filter', () => {
      const eye = tf.reshape(tf.oneHot(tf.range(0, 18, 1, 'int32'), 18, 1, 0, 'float32'), [3, 3, 2, 18]) as tf.Tensor4D;
      return tf.conv2d(tf.tensor4d(x, [2, 9, 9, 2]), eye, 1, 'valid');
    });
  });
});

describe('GatherV2', () => {
  const cases: Array<{ x: number[]; idx: number[]; axis: number; dtype?: 'float32' | 'int32' | 'bool' }> = [
    { x: [10, 28, 28, 1], idx: [3, 0, 9, 3, 7], axis: 0 }, // a batch of images (the training loop's gather)
    { x: [7], idx: [6, 0, 0, 2], axis: 0, dtype: 'int32' }, // labels
    { x: [5, 4, 3], idx: [2, 0], axis: 1 },
    { x: [4, 33], idx: [32, 0, 17], axis: 1 }, // slices of one element
    { x: [6, 40], idx: [], axis: 0 },
    { x: [3, 5], idx: [1, 2, 0], axis: 0, dtype: 'bool' },
  ];
  for (const c of cases) {
    test(`x${JSON.stringify(c.x)} indices ${JSON.stringify(c.idx)} axis ${c.axis} ${c.dtype ?? 'float32'}`, async () => {
      const rng = new Rng(size(c.x));
      const x = randn(rng, size(c.x));
      await assertParity('gather', () => {
        const xt = c.dtype === 'bool' ? tf.greater(tf.tensor(x, c.x), 0) : tf.tensor(c.dtype === 'int32' ? x.map(Math.round) : x, c.x, c.dtype);
        return tf.cast(tf.gather(xt, tf.tensor1d(c.idx, 'int32'), c.axis), 'float32');
      });
    });
  }
  test('2-D indices, and an index out of range is an error', async () => {
    const rng = new Rng(12);
    const x = randn(rng, 6 * 4);
    await assertParity('gather 2-D indices', () => tf.gather(tf.tensor2d(x, [6, 4]), tf.tensor2d([5, 0, 1, 1], [2, 2], 'int32')));
    await tf.setBackend('wasm');
    assert.throws(() => tf.tidy(() => tf.gather(tf.tensor2d(x, [6, 4]), tf.tensor1d([6], 'int32'))), /not in \[0, 5\]/);
  });
});

describe('LeNet-style training step', () => {
  test('gradients of conv→relu→maxpool→conv→relu→maxpool→dense equal cpu', async () => {
    const rng = new Rng(2024);
    const n = 6;
    const xs = randn(rng, n * 28 * 28);
    const labels = Array.from({ length: n }, () => rng.int(10));
    const w1 = randn(rng, 5 * 5 * 1 * 6, 0.2);
    const b1 = randn(rng, 6, 0.1);
    const w2 = randn(rng, 5 * 5 * 6 * 16, 0.08);
    const b2 = randn(rng, 16, 0.1);
    const w3 = randn(rng, 4 * 4 * 16 * 10, 0.05);
    const b3 = randn(rng, 10, 0.1);
    await assertParity('lenet grads', () => {
      const x = tf.tensor4d(xs, [n, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const params = [
        tf.tensor4d(w1, [5, 5, 1, 6]),
        tf.tensor1d(b1),
        tf.tensor4d(w2, [5, 5, 6, 16]),
        tf.tensor1d(b2),
        tf.tensor2d(w3, [256, 10]),
        tf.tensor1d(b3),
      ];
      const loss = (...p: tf.Tensor[]) => {
        let h = tf.relu(tf.add(tf.conv2d(x, p[0] as tf.Tensor4D, 1, 'valid'), p[1])) as tf.Tensor4D;
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.relu(tf.add(tf.conv2d(h, p[2] as tf.Tensor4D, 1, 'valid'), p[3])) as tf.Tensor4D;
        h = tf.maxPool(h, 2, 2, 'valid');
        const logits = tf.add(tf.matMul(tf.reshape(h, [n, 256]), p[4]), p[5]);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(loss)(params);
      return [value, ...grads];
    });
  });
});

describe('cnn training step', () => {
  // The cnn extractor itself on an odd-sized colour input: 'same' convs, floor pools, broadcast bias adds,
  // ReLU and their gradients, batch 1 and 5.
  for (const n of [1, 5]) {
    test(`gradients of every cnn parameter equal cpu (batch ${n}, 18×17×3)`, async () => {
      await assertParity('cnn grads', cnnGradientCase(n));
    });
  }
});

describe('Sum', () => {
  const sums: Array<{ shape: number[]; axis: number | number[]; keepDims?: boolean }> = [
    { shape: [256, 512], axis: 0 }, // a dense bias gradient
    { shape: [5, 17, 15, 33], axis: [0, 1, 2] }, // a conv bias gradient (NHWC)
    { shape: [1, 7], axis: 0 },
    { shape: [2, 5, 3, 4], axis: [1, 2], keepDims: true },
    { shape: [4, 6, 5], axis: 1 },
    { shape: [6, 5], axis: 1 }, // innermost: the stock kernel
    { shape: [3, 4, 5], axis: [0, 2] }, // not contiguous: the stock kernel
    { shape: [0, 4], axis: 0 },
  ];
  for (const c of sums) {
    test(`sum ${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)}${c.keepDims ? ' keepDims' : ''}`, async () => {
      const rng = new Rng(size(c.shape) + 3);
      const x = randn(rng, size(c.shape));
      await assertParity('sum', () => tf.sum(tf.tensor(x, c.shape), c.axis, c.keepDims));
    });
  }
  test('a long reduction (262144 rows, the cnn\'s first bias gradient at batch 64) stays within the tolerance', async () => {
    const rng = new Rng(5);
    const x = randn(rng, 262144 * 4);
    await assertParity('long sum', () => tf.sum(tf.tensor(x, [64, 64, 64, 4]), [0, 1, 2]), 1e-6);
  });
  test('int32 sums go to the stock kernel', async () => {
    await assertParity('int32 sum', () => tf.cast(tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6], [3, 1, 2], 'int32'), 0), 'float32'));
  });
});

describe('useStockWasmKernels', () => {
  test('restores the stock kernels and re-installs fsmtl\'s', async () => {
    await tf.setBackend('wasm');
    const ours = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
    const restore = useStockWasmKernels();
    try {
      assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
      assert.notEqual(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc, ours);
      // The stock kernels still work (untransposed matmul).
      const v = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync());
      assert.deepEqual(Array.from(v), [1, 2, 3, 4]);
    } finally {
      restore();
    }
    assert.equal(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc, ours);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });

  test('no tensors leak through the kernels', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(8);
    const a = randn(rng, 6 * 5);
    const w = randn(rng, 3 * 3 * 2 * 4);
    const x = randn(rng, 2 * 6 * 6 * 2);
    const run = () =>
      tf.tidy(() => {
        const g1 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q, true, true)))([
          tf.tensor2d(a, [5, 6]),
          tf.tensor2d(a, [6, 5]),
        ]);
        const g2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
          tf.sum(tf.maxPool(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'), 2, 2, 'same')),
        )([tf.tensor4d(x, [2, 6, 6, 2]), tf.tensor4d(w, [3, 3, 2, 4])]);
        return [...g1, ...g2].map((t) => t.dataSync()[0]);
      });
    run();
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    run();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(backend.numDataIds(), ids);
  });
});
