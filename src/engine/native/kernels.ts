// The native backend's kernels: BatchMatMul, _FusedMatMul, Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter on
// OpenBLAS through the addon, and a one-pass Adam update. Inputs are read and outputs written in place on the wasm heap (the output is the
// only allocation, made by the backend as for any wasm kernel). What the addon does not cover (other dtypes,
// NCHW, unusual fused biases, prelu weights) goes to the wasm kernel of the same name.
import * as tf from '@tensorflow/tfjs-core';
import { batchIndex, matMulShape, prod } from '../matmul-shape.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './addon.js';
import { offsetOf, syncHeap } from './backend.js';
import { FUSED_ADAM, type FusedAdamAttrs } from '../fused-adam.js';
import { DENSE_FISHER, type DenseFisherAttrs } from '../dense-fisher.js';
import { CONV_FISHER, convFisherInfo, type ConvFisherAttrs } from '../conv-fisher.js';

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** Activation codes shared with the addon (tfjs-backend-wasm's numbering). prelu is applied afterwards. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, prelu: 0, leakyrelu: 4, sigmoid: 5, elu: 6 };

/** Conv kinds shared with the addon. */
const CONV_FORWARD = 0;
const CONV_BACKPROP_INPUT = 1;
const CONV_BACKPROP_FILTER = 2;

/** The kernels, each falling back to `wasmKernel(name)` (the wasm backend's kernel of that name). */
type ConvGeometry = [number, number, number, number, number, number, number, number, number, number, number, number, number, number];

/** addon.conv's arguments after the batch size, in its order: input, filter, strides, dilations, padding, output. */
function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return [
    info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth, info.outChannels,
  ];
}

export function nativeKernels(addon: NativeAddon, wasmKernel: (name: string) => tf.KernelConfig | undefined): tf.KernelConfig[] {
  const fallback = (name: string, args: KernelArgs): TensorInfo => {
    const k = wasmKernel(name);
    if (!k) throw new Error(`the native backend has no fallback for ${name}`);
    return k.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  };

  /** out = op(a)·op(b) (+ bias, activation); null when the addon does not cover the case. */
  function matMul(
    backend: BackendWasm,
    a: TensorInfo,
    b: TensorInfo,
    ta: boolean,
    tb: boolean,
    fused?: { bias?: TensorInfo; activation: string; alpha: number },
  ): TensorInfo {
    const { m, k, n, outerA, outerB, outBatch, batchA, batchB, batchOut } = matMulShape(a.shape, b.shape, ta, tb);
    const out = backend.makeOutput([...outBatch, m, n], 'float32');
    if (m * n * batchOut === 0) return out;
    syncHeap(addon, backend);
    const ao = offsetOf(backend, a);
    const bo = offsetOf(backend, b);
    const co = offsetOf(backend, out);
    const lda = ta ? m : k;
    const ldb = tb ? k : n;
    const ta1 = ta ? 1 : 0;
    const tb1 = tb ? 1 : 0;
    if (batchB === 1 && !ta) {
      // Stack a's batches: one [batchA·m, k] product.
      addon.gemm(0, tb1, batchA * m, n, k, ao, lda, bo, ldb, co, n, 0, 1, 0, 0, 0);
    } else if ((batchA === batchOut || batchA === 1) && (batchB === batchOut || batchB === 1)) {
      addon.gemm(ta1, tb1, m, n, k, ao, lda, bo, ldb, co, n, 0, batchOut, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, m * n);
    } else {
      const ia = batchIndex(outBatch, outerA);
      const ib = batchIndex(outBatch, outerB);
      for (let o = 0; o < batchOut; o++) {
        addon.gemm(ta1, tb1, m, n, k, ao + ia(o) * m * k, lda, bo + ib(o) * k * n, ldb, co + o * m * n, n, 0, 1, 0, 0, 0);
      }
    }
    if (fused && (fused.bias || fused.activation !== 'linear')) {
      const bias = fused.bias;
      addon.biasAct(co, batchOut * m, n, bias ? offsetOf(backend, bias) : -1, bias ? prod(bias.shape) : 0, ACTIVATIONS[fused.activation], fused.alpha);
    }
    return out;
  }

  function batchMatMul(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
      return fallback(tf.BatchMatMul, args);
    }
    return matMul(backend, a, b, !!transposeA, !!transposeB);
  }

  function fusedMatMul(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const activation = attrs.activation ?? 'linear';
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const supported =
      a.dtype === 'float32' &&
      b.dtype === 'float32' &&
      a.shape.length >= 2 &&
      b.shape.length >= 2 &&
      activation !== 'prelu' &&
      ACTIVATIONS[activation] !== undefined &&
      (bias == null || (bias.dtype === 'float32' && bias.shape.length <= 1 && (prod(bias.shape) === n || prod(bias.shape) === 1)));
    if (!supported || preluActivationWeights) return fallback(tf._FusedMatMul, args);
    return matMul(backend, a, b, !!attrs.transposeA, !!attrs.transposeB, {
      bias,
      activation,
      alpha: attrs.leakyreluAlpha ?? 0,
    });
  }

  function runConv(
    backend: BackendWasm,
    kind: number,
    in0: TensorInfo,
    in1: TensorInfo,
    outShape: number[],
    info: tf.backend_util.Conv2DInfo,
  ): TensorInfo {
    const out = backend.makeOutput(outShape, 'float32');
    syncHeap(addon, backend);
    addon.conv(
      kind,
      offsetOf(backend, in0),
      offsetOf(backend, in1),
      offsetOf(backend, out),
      info.batchSize,
      ...convGeometry(info),
    );
    return out;
  }

  const channelsLast = (dataFormat?: string) => tf.backend_util.convertConv2DDataFormat((dataFormat ?? 'NHWC') as 'NHWC' | 'NCHW') === 'channelsLast';

  function conv2d(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || !channelsLast(dataFormat)) return fallback(tf.Conv2D, args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    return runConv(backend, CONV_FORWARD, x, filter, info.outShape, info);
  }

  function conv2dBackpropInput(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || !channelsLast(dataFormat)) return fallback(tf.Conv2DBackpropInput, args);
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    return runConv(backend, CONV_BACKPROP_INPUT, dy, filter, [...inputShape], info);
  }

  function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !channelsLast(dataFormat)) return fallback(tf.Conv2DBackpropFilter, args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    return runConv(backend, CONV_BACKPROP_FILTER, x, dy, [...filterShape], info);
  }

  /**
   * Sum over axes that are not innermost (the bias gradient: [N, units] summed over N). The wasm kernel
   * transposes the reduced axes to the end first; here one pass accumulates rows. Other cases go to wasm.
   */
  function sum(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    if (x.dtype !== 'float32') return fallback(tf.Sum, args);
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    const lo = axes[0];
    const hi = axes[axes.length - 1] + 1;
    // A contiguous block of axes, with something after it.
    if (axes.length === 0 || hi - lo !== axes.length || hi === x.shape.length) return fallback(tf.Sum, args);
    const outer = prod(x.shape.slice(0, lo));
    const red = prod(x.shape.slice(lo, hi));
    const inner = prod(x.shape.slice(hi));
    const shape = keepDims ? x.shape.map((d, i) => (i >= lo && i < hi ? 1 : d)) : [...x.shape.slice(0, lo), ...x.shape.slice(hi)];
    const out = backend.makeOutput(shape, 'float32');
    syncHeap(addon, backend);
    addon.sumMiddle(offsetOf(backend, x), offsetOf(backend, out), outer, red, inner);
    return out;
  }

  /** Exp in C (glibc's expf): the softmax of per-pixel cross-entropy runs it over every pixel × class. */
  function exp(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' || typeof addon.exp !== 'function') return fallback(tf.Exp, args); // an addon built before exp existed
    const out = backend.makeOutput([...x.shape], 'float32');
    syncHeap(addon, backend);
    addon.exp(offsetOf(backend, x), offsetOf(backend, out), prod(x.shape));
    return out;
  }

  /** MaxPoolGrad in C (the wasm backend's is fsmtl's JS loop; same tie rule). */
  function maxPoolGrad(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return fallback(tf.MaxPoolGrad, args);
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const dx = backend.makeOutput([...input.shape], 'float32');
    syncHeap(addon, backend);
    addon.maxPoolGrad(
      offsetOf(backend, input),
      offsetOf(backend, dy),
      offsetOf(backend, dx),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.effectiveFilterHeight,
      info.effectiveFilterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      info.outHeight,
      info.outWidth,
    );
    return dx;
  }

  /** One Adam update in one pass (see ../fused-adam.ts): three outputs, m', v' and the step. */
  function fusedAdam(args: KernelArgs): TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { g, m, v } = args.inputs as { g: TensorInfo; m: TensorInfo; v: TensorInfo };
    const a = args.attrs as unknown as FusedAdamAttrs;
    const shape = g.shape.join(',');
    if (m.shape.join(',') !== shape || v.shape.join(',') !== shape) {
      throw new Error(`${FUSED_ADAM}: gradient, first and second moment differ in shape ([${shape}], [${m.shape}], [${v.shape}])`);
    }
    const outs = [0, 1, 2].map(() => backend.makeOutput([...g.shape], 'float32'));
    syncHeap(addon, backend);
    const [mo, vo, so] = outs.map((t) => offsetOf(backend, t));
    addon.adam(offsetOf(backend, g), offsetOf(backend, m), offsetOf(backend, v), mo, vo, so, prod(g.shape), a.beta1, a.beta2, a.epsilon, a.stepSize);
    return outs;
  }

  /** The dense ReLU network's diagonal Fisher in one call (see ../dense-fisher.ts). */
  function denseFisher(args: KernelArgs): TensorInfo[] {
    const backend = args.backend as BackendWasm;
    const { mode, layers } = args.attrs as unknown as DenseFisherAttrs;
    const { x, y } = args.inputs as { x: TensorInfo; y: TensorInfo };
    const params = Array.from({ length: 2 * layers + 2 }, (_, i) => args.inputs[`p${i}`] as TensorInfo);
    const dims = [x.shape[1]];
    params.forEach((p, i) => {
      // Kernels (even i) are [rows, units], biases [rows], where rows is the width the previous kernel gave.
      const rows = dims[dims.length - 1];
      const isKernel = i % 2 === 0;
      if (p?.dtype !== 'float32' || p.shape.length !== (isKernel ? 2 : 1) || p.shape[0] !== rows) {
        throw new Error(`${DENSE_FISHER}: parameter ${i} is ${p ? `${p.dtype} [${p.shape}]` : 'missing'}, expected float32 [${rows}${isKernel ? ',*' : ''}]`);
      }
      if (isKernel) dims.push(p.shape[1]);
    });
    if (x.shape.length !== 2 || x.dtype !== 'float32' || y.dtype !== 'int32' || y.shape.length !== 1 || y.shape[0] !== x.shape[0]) {
      throw new Error(`${DENSE_FISHER}: expected float32 x [N, D] and int32 y [N], got ${x.dtype} [${x.shape}] and ${y.dtype} [${y.shape}]`);
    }
    const outs = params.slice(0, 2 * layers).map((p) => backend.makeOutput([...p.shape], 'float32'));
    syncHeap(addon, backend);
    addon.denseFisher(mode, x.shape[0], dims, params.map((p) => offsetOf(backend, p)), outs.map((o) => offsetOf(backend, o)), offsetOf(backend, x), offsetOf(backend, y));
    return outs;
  }

  /**
   * FsmtlConvFisher (../conv-fisher.ts): the addon's filter gradient (oneDNN) per example, read in place at
   * the example's offset, into one scratch filter that is squared into the sum.
   */
  function convFisher(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { x, dy, w } = args.inputs as { x: TensorInfo; dy: TensorInfo; w?: TensorInfo };
    const attrs = args.attrs as unknown as ConvFisherAttrs;
    const info = convFisherInfo(x, dy, w, attrs);
    const n = x.shape[0];
    const xSize = prod(x.shape.slice(1));
    const dySize = prod(dy.shape.slice(1));
    const out = backend.makeOutput([...attrs.filterShape], 'float32');
    const g = backend.makeOutput([...attrs.filterShape], 'float32');
    try {
      const weights = w ? Float32Array.from(backend.typedArrayFromHeap(w) as Float32Array) : null;
      (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
      syncHeap(addon, backend);
      const xo = offsetOf(backend, x);
      const dyo = offsetOf(backend, dy);
      const go = offsetOf(backend, g);
      for (let i = 0; i < n; i++) {
        const wi = weights ? weights[i] : 1;
        if (wi === 0) continue;
        addon.conv(
          CONV_BACKPROP_FILTER,
          xo + i * xSize,
          dyo + i * dySize,
          go,
          1,
          ...convGeometry(info),
        );
        const gv = backend.typedArrayFromHeap(g) as Float32Array;
        const acc = backend.typedArrayFromHeap(out) as Float32Array;
        for (let j = 0; j < gv.length; j++) acc[j] += wi * gv[j] * gv[j];
      }
    } finally {
      backend.disposeData(g.dataId);
    }
    return out;
  }

  /** Identity shares the input's memory (as the cpu backend does); the wasm kernel copies it. */
  function identity(args: KernelArgs): TensorInfo {
    const backend = args.backend as BackendWasm;
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return fallback(tf.Identity, args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  }

  const kernel = (kernelName: string, kernelFunc: (args: KernelArgs) => TensorInfo | TensorInfo[]): tf.KernelConfig => ({
    kernelName,
    backendName: 'native',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
  return [
    kernel(tf.BatchMatMul, batchMatMul),
    kernel(tf._FusedMatMul, fusedMatMul),
    kernel(tf.Conv2D, conv2d),
    kernel(tf.Conv2DBackpropInput, conv2dBackpropInput),
    kernel(tf.Conv2DBackpropFilter, conv2dBackpropFilter),
    kernel(tf.Identity, identity),
    kernel(tf.Sum, sum),
    kernel(tf.Exp, exp),
    kernel(tf.MaxPoolGrad, maxPoolGrad),
    kernel(FUSED_ADAM, fusedAdam),
    kernel(DENSE_FISHER, denseFisher),
    kernel(CONV_FISHER, convFisher),
  ];
}
