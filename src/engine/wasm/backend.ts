// Shared plumbing for fsmtl's wasm kernels: access to the BackendWasm internals (tensor ids, heap views,
// aliases into the heap), the stock kernels we delegate to, and direct bindings of the C++ matmuls.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBackend = BackendWasm;
export type TensorInfo = tf.TensorInfo;

interface WasmModuleLike {
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => void;
  tfjs: { disposeData(id: number): void };
}

function wasmModule(backend: WasmBackend): WasmModuleLike {
  return backend.wasm as unknown as WasmModuleLike;
}

/** The C++ tensor id of a tensor. */
export function tensorId(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).id;
}

/** A float32 view of a tensor on the wasm heap. Take views only after the last allocation (the heap may grow). */
export function heapF32(backend: WasmBackend, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A new float32 tensor, uninitialised. */
export function alloc(backend: WasmBackend, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/** Frees a tensor made inside a kernel. */
export function free(backend: WasmBackend, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}

/**
 * A tensor that aliases `count(shape)` floats of `base`, starting `elemOffset` floats in, without copying.
 * Release it with releaseAlias (never with free: that would free the base's memory).
 */
export function alias(backend: WasmBackend, base: TensorInfo, elemOffset: number, shape: number[]): TensorInfo {
  const offset = backend.dataIdMap.get(base.dataId).memoryOffset + 4 * elemOffset;
  return backend.makeOutput(shape, 'float32', offset);
}

export function releaseAlias(backend: WasmBackend, t: TensorInfo): void {
  const data = backend.dataIdMap.get(t.dataId);
  // Unregister from C++ (also drops any XNNPACK operator cached on this id) without freeing the memory.
  wasmModule(backend).tfjs.disposeData(data.id);
  backend.dataIdMap.delete(t.dataId);
}

/** The same data seen with another shape (no copy, no refcount change: do not free it). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

// ---------------------------------------------------------------------------------------------------------
// Stock kernels

const stockKernels = new Map<string, tf.KernelConfig | null>();

/** Remembers the stock wasm kernel `name` (null if the package has none). Call before replacing it. */
export function captureStock(name: string): tf.KernelConfig | null {
  if (!stockKernels.has(name)) {
    const k = tf.getKernel(name, 'wasm');
    stockKernels.set(name, k ? { ...k } : null);
  }
  return stockKernels.get(name) ?? null;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap };

/** Runs the stock wasm kernel `name` (never fsmtl's), returning its single output. */
export function runStock(name: string, args: KernelArgs): TensorInfo {
  const k = captureStock(name);
  if (!k) throw new Error(`the wasm backend has no kernel ${name}`);
  return k.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
}

/**
 * Transposes the last two axes of a rank-3 float32 tensor [B, R, C] → [B, C, R]. Done in JS on the heap
 * (32×32 tiles): 2–3× faster than the stock C++ Transpose kernel for these 2-D cases.
 */
/** The stock (XNNPACK) NHWC convolution with stride 1 and explicit spatial padding. */
export function stockConv2d(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  pad: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
): TensorInfo {
  return runStock(tf.Conv2D, {
    inputs: { x, filter },
    backend,
    attrs: {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pad.top, pad.bottom],
        [pad.left, pad.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations,
    } as unknown as tf.NamedAttrMap,
  });
}

export function transposeLast2(backend: WasmBackend, t: TensorInfo): TensorInfo {
  const [b, r, c] = t.shape;
  const out = alloc(backend, [b, c, r]);
  const src = heapF32(backend, t);
  const dst = heapF32(backend, out);
  const tile = 32;
  for (let k = 0; k < b; k++) {
    const base = k * r * c;
    for (let r0 = 0; r0 < r; r0 += tile) {
      const r1 = Math.min(r, r0 + tile);
      for (let c0 = 0; c0 < c; c0 += tile) {
        const c1 = Math.min(c, c0 + tile);
        for (let i = r0; i < r1; i++) {
          let s = base + i * c + c0;
          let d = base + c0 * r + i;
          for (let j = c0; j < c1; j++, s++, d += r) dst[d] = src[s];
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Direct bindings of the C++ matmuls (ids and shapes in, result written into an existing output tensor).

interface MatMulFns {
  batchMatMul: (...args: unknown[]) => void;
  fusedMatMul: (...args: unknown[]) => void;
}

const bindings = new WeakMap<object, MatMulFns>();

function matMulFns(backend: WasmBackend): MatMulFns {
  const wasm = wasmModule(backend);
  let f = bindings.get(wasm);
  if (!f) {
    f = {
      batchMatMul: wasm.cwrap('BatchMatMul', null, [
        'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number',
      ]),
      fusedMatMul: wasm.cwrap('_FusedMatMul', null, [
        'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number',
        'number', 'number',
      ]),
    };
    bindings.set(wasm, f);
  }
  return f;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** Activation codes of the C++ fused kernels (cc/fusable_activations.h). */
export const FUSED_ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  prelu: 3,
  leakyrelu: 4,
  sigmoid: 5,
  elu: 6,
};

export interface FusedArgs {
  activation: number;
  biasId: number;
  preluId: number;
  leakyreluAlpha: number;
}

/**
 * out[1, M, N] = a[1, M, K] · b[1, K, N] (+ fused bias/activation), with neither operand transposed and
 * batch 1: the only case the C++ side sends to XNNPACK (multi-threaded fully-connected operator).
 * XNNPACK caches the packed `b` under b's tensor id until b is disposed.
 */
export function xnnMatMul(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  out: TensorInfo,
  m: number,
  k: number,
  n: number,
  fused?: FusedArgs,
): void {
  const f = matMulFns(backend);
  const aShape = shapeBytes([1, m, k]);
  const bShape = shapeBytes([1, k, n]);
  // The C++ operator cache is keyed by b's id, not its shape, and reshapes share ids: if this data was
  // already used as `b` with another [K, N], go through a fresh alias so that no stale operator is reused.
  const shapeKey = `${k},${n}`;
  const seen = bShapes.get(b.dataId);
  const bAlias = seen !== undefined && seen !== shapeKey ? alias(backend, b, 0, [k * n]) : undefined;
  if (seen === undefined) bShapes.set(b.dataId, shapeKey);
  const aId = tensorId(backend, a);
  const bId = tensorId(backend, bAlias ?? b);
  const outId = tensorId(backend, out);
  try {
    if (fused) {
      f.fusedMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, fused.activation, fused.biasId, fused.preluId, fused.leakyreluAlpha, outId);
    } else {
      f.batchMatMul(aId, aShape, 3, bId, bShape, 3, 0, 0, outId);
    }
  } finally {
    if (bAlias) releaseAlias(backend, bAlias);
  }
}

/** [K, N] each data id was first used with as a matmul `b` (see xnnMatMul). */
const bShapes = new WeakMap<object, string>();
