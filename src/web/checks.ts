// In-page checks for the browser tests (test-browser/kernels.test.ts): ops fsmtl registers or relies on,
// run on `backend` and on tfjs's cpu backend with the same inputs; the largest relative difference of each.
import * as f from '../browser.js';
import { convFisher, hasConvFisherKernel, type ConvFisherAttrs } from '../engine/conv-fisher.js';

export interface KernelCheck {
  available: boolean;
  why?: string;
  engine?: string;
  kernels?: string[];
  diffs?: Record<string, number>;
}

export async function kernelCheck(backend: 'wasm' | 'webgpu' | 'webgl'): Promise<KernelCheck> {
  const tf = f.tf;
  f.useBrowserEngine({ wasmPaths: new URL('wasm/', location.href).href });
  if (backend === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu || !(await gpu.requestAdapter())) return { available: false, why: 'this Chromium offers no WebGPU adapter' };
  }
  let info;
  try {
    info = await f.initEngine({ backend });
  } catch (e) {
    return { available: false, why: (e as Error).message };
  }
  let seed = 12345;
  const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * (hi - lo) + lo);
  const ints = (n: number, k: number) => Int32Array.from(rand(n, 0, k), Math.floor);
  const data = {
    a: rand(37 * 53), b: rand(53 * 29), a3: rand(3 * 17 * 23), b3: rand(3 * 23 * 11), bias: rand(29),
    x: rand(2 * 12 * 12 * 3), w: rand(3 * 3 * 3 * 8), ix: ints(40, 10), g: rand(30 * 7), s: rand(64 * 300),
    dy: rand(2 * 12 * 12 * 8), ex: rand(2), small: rand(2 * 5 * 7 * 4),
  };
  type T = ReturnType<typeof tf.tensor>;
  const cases: Record<string, () => T | T[]> = {
    matMul: () => tf.matMul(tf.tensor2d(data.a, [37, 53]), tf.tensor2d(data.b, [53, 29])),
    matMulTransposed: () => tf.matMul(tf.tensor2d(data.b, [53, 29]), tf.tensor2d(data.a, [37, 53]), true, true),
    batchMatMul: () => tf.matMul(tf.tensor3d(data.a3, [3, 17, 23]), tf.tensor3d(data.b3, [3, 23, 11])),
    fusedMatMulRelu: () => tf.fused.matMul({ a: tf.tensor2d(data.a, [37, 53]), b: tf.tensor2d(data.b, [53, 29]), bias: tf.tensor1d(data.bias), activation: 'relu' }),
    conv2dGradients: () => {
      const x = tf.tensor4d(data.x, [2, 12, 12, 3]);
      const w = tf.tensor4d(data.w, [3, 3, 3, 8]);
      return tf.grads((a: T, b: T) => tf.sum(tf.square(tf.conv2d(a as f.tf.Tensor4D, b as f.tf.Tensor4D, 1, 'same'))))([x, w]);
    },
    maxPoolGrad: () => tf.grad((a: T) => tf.sum(tf.square(tf.maxPool(a as f.tf.Tensor4D, 2, 2, 'valid'))))(tf.tensor4d(data.x, [2, 12, 12, 3])),
    // FsmtlConvFisher (segnet's Fisher): Σ_i w_i (filter gradient of example i)²; the cpu reference is the
    // stock filter gradient one example at a time.
    convFisher: () => {
      const x = tf.tensor4d(data.x, [2, 12, 12, 3]);
      const dy = tf.tensor4d(data.dy, [2, 12, 12, 8]);
      const w = tf.tensor1d(data.ex.map((v: number) => v + 1.5));
      const attrs: ConvFisherAttrs = { filterShape: [3, 3, 3, 8], strides: 1, pad: 'same' };
      if (hasConvFisherKernel()) return convFisher(x as f.tf.Tensor4D, dy as f.tf.Tensor4D, w as f.tf.Tensor1D, attrs);
      const ws = w.dataSync();
      const terms = [0, 1].map((i) => {
        const g = tf.engine().runKernel(
          tf.Conv2DBackpropFilter,
          { x: tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]), dy: tf.slice(dy, [i, 0, 0, 0], [1, -1, -1, -1]) },
          { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: attrs.filterShape } as never,
        ) as T;
        return tf.mul(tf.square(g), ws[i]);
      });
      return tf.addN(terms);
    },
    // ResizeNearestNeighborGrad (segnet's upsampling) on a batch of 2, where tfjs-backend-cpu's stock
    // kernel is wrong (fsmtl replaces it: src/engine/resize-nearest.ts).
    resizeNearestGrad: () =>
      tf.grad((a: T) => tf.sum(tf.square(tf.image.resizeNearestNeighbor(a as f.tf.Tensor4D, [10, 14]))))(tf.tensor4d(data.small, [2, 5, 7, 4])),
    oneHot: () => tf.oneHot(tf.tensor1d(data.ix, 'int32'), 10),
    gather: () => tf.gather(tf.tensor2d(data.g, [30, 7]), tf.tensor1d(data.ix.map((v: number) => v * 3 % 30), 'int32')),
    sumRows: () => tf.sum(tf.tensor2d(data.s, [64, 300]), 1),
    sumAll: () => tf.sum(tf.tensor2d(data.s, [64, 300])),
    softmaxCrossEntropyGrad: () =>
      tf.grad((a: T) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(data.ix.slice(0, 37), 'int32'), 10), a as never))(tf.tensor2d(data.a.slice(0, 370), [37, 10])),
  };
  const run = async (name: string) => {
    const r = tf.tidy(cases[name]);
    const list = Array.isArray(r) ? r : [r];
    const values = await Promise.all(list.map((t: T) => t.data()));
    list.forEach((t: T) => t.dispose());
    return values.map((v: ArrayLike<number>) => Array.from(v));
  };
  const got: Record<string, number[][]> = {};
  for (const name of Object.keys(cases)) got[name] = await run(name);
  await tf.setBackend('cpu');
  const diffs: Record<string, number> = {};
  for (const name of Object.keys(cases)) {
    const want = await run(name);
    let d = 0;
    want.forEach((w, i) => w.forEach((v, j) => (d = Math.max(d, Math.abs(v - got[name][i][j]) / Math.max(1, Math.abs(v))))));
    diffs[name] = want.length === got[name].length && want.every((w, i) => w.length === got[name][i].length) ? d : Infinity;
  }
  return { available: true, engine: f.describeEngine(info), kernels: info.registeredKernels, diffs };
}
