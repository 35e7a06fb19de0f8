// BatchMatMul and _FusedMatMul for any transposeA/transposeB and broadcast batch dimensions.
//
// The stock C++ kernels use XNNPACK (SIMD, multi-threaded) only when neither operand is transposed and both
// have batch 1; everything else, i.e. every matmul of a backward pass, goes to a scalar triple loop (and
// that loop's bias indexing is wrong past the first row). Here transposes are made explicit with the C++
// Transpose kernel and every product goes to the XNNPACK path:
//  - b has batch 1: the batches of a are stacked into one [batchA·M, K] × [K, N] product;
//  - otherwise: one product per output batch, on zero-copy aliases of the batch slices.
import * as tf from '@tensorflow/tfjs-core';
import { batchIndex, matMulShape, prod } from '../matmul-shape.js';
import {
  FUSED_ACTIVATIONS,
  alias,
  alloc,
  free,
  heapF32,
  releaseAlias,
  runStock,
  transposeLast2,
  view,
  xnnMatMul,
  type FusedArgs,
  type TensorInfo,
  type WasmBackend,
} from './backend.js';

interface Fusion {
  activation: string;
  bias?: TensorInfo;
  prelu?: TensorInfo;
  leakyreluAlpha: number;
}

function matMul(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  fusion?: Fusion,
): TensorInfo {
  const { m, k, n, outerA, outerB, outBatch, batchA, batchB, batchOut } = matMulShape(a.shape, b.shape, transposeA, transposeB);
  const out = alloc(backend, [...outBatch, m, n]);
  if (m * n === 0) return out;
  if (k === 0) {
    // Empty reduction (fused products with K = 0 are left to the stock kernel by the caller).
    heapF32(backend, out).fill(0);
    return out;
  }

  const temps: TensorInfo[] = [];
  let result = out;
  try {
    let aU = view(a, [batchA, ...a.shape.slice(-2)]);
    if (transposeA) temps.push((aU = transposeLast2(backend, aU)));
    let bU = view(b, [batchB, ...b.shape.slice(-2)]);
    if (transposeB) temps.push((bU = transposeLast2(backend, bU)));

    let fused: FusedArgs | undefined;
    let preluAfter = false;
    if (fusion) {
      let biasId = 0;
      if (fusion.bias) {
        let bias = fusion.bias;
        const size = prod(bias.shape);
        if (size !== n) {
          // size 1 (checked by the caller): XNNPACK wants one bias per output column.
          const full = alloc(backend, [n]);
          temps.push(full);
          heapF32(backend, full).fill(heapF32(backend, bias)[0]);
          bias = full;
        }
        biasId = backend.dataIdMap.get(bias.dataId).id;
      }
      // prelu is applied by C++ to the whole output buffer it was given; per-slice products would tile the
      // weights per slice, so in that case apply it once at the end instead.
      preluAfter = fusion.activation === 'prelu' && batchB !== 1;
      fused = {
        activation: FUSED_ACTIVATIONS[preluAfter ? 'linear' : fusion.activation],
        biasId,
        preluId: fusion.prelu && !preluAfter ? backend.dataIdMap.get(fusion.prelu.dataId).id : 0,
        leakyreluAlpha: fusion.leakyreluAlpha,
      };
    }

    if (batchB === 1) {
      xnnMatMul(backend, aU, bU, out, batchA * m, k, n, fused);
    } else {
      const ia = batchIndex(outBatch, outerA);
      const ib = batchIndex(outBatch, outerB);
      for (let o = 0; o < batchOut; o++) {
        const aS = batchA === 1 ? aU : alias(backend, aU, ia(o) * m * k, [m * k]);
        const bS = alias(backend, bU, ib(o) * k * n, [k * n]);
        const oS = alias(backend, out, o * m * n, [m * n]);
        try {
          xnnMatMul(backend, aS, bS, oS, m, k, n, fused);
        } finally {
          if (aS !== aU) releaseAlias(backend, aS);
          releaseAlias(backend, bS);
          releaseAlias(backend, oS);
        }
      }
    }
    if (preluAfter && fusion?.prelu) {
      result = runStock('Prelu', { inputs: { x: out, alpha: fusion.prelu }, backend });
      free(backend, out);
    }
    return result;
  } catch (e) {
    free(backend, out);
    throw e;
  } finally {
    for (const t of temps) free(backend, t);
  }
}

export function batchMatMulKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return runStock(tf.BatchMatMul, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  return matMul(backend, a, b, !!transposeA, !!transposeB);
}

export function fusedMatMulKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b, bias, preluActivationWeights } = args.inputs as {
    a: TensorInfo;
    b: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const attrs = (args.attrs ?? {}) as {
    transposeA?: boolean;
    transposeB?: boolean;
    activation?: string;
    leakyreluAlpha?: number;
  };
  const activation = attrs.activation ?? 'linear';
  const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const k = attrs.transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  const supported =
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    a.shape.length >= 2 &&
    b.shape.length >= 2 &&
    k > 0 &&
    FUSED_ACTIVATIONS[activation] !== undefined &&
    (activation !== 'prelu' || preluActivationWeights != null) &&
    (bias == null || (bias.shape.length === 1 && (bias.shape[0] === n || bias.shape[0] === 1)));
  if (!supported) return runStock(tf._FusedMatMul, { inputs: args.inputs, backend, attrs: args.attrs });
  return matMul(backend, a, b, !!attrs.transposeA, !!attrs.transposeB, {
    activation,
    bias,
    prelu: preluActivationWeights,
    leakyreluAlpha: attrs.leakyreluAlpha ?? 0,
  });
}
