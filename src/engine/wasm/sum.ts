// Sum over a contiguous block of axes that are not innermost: a bias gradient, [N, units] summed over N or
// a conv's [N, H, W, C] summed over N, H, W. The stock kernel transposes the reduced axes to the end first
// (a full copy: ~90 ms for the cnn's first conv map at batch 64); here one pass adds rows into an
// accumulator (float64, so that long reductions stay within the cpu backend's rounding). Other sums go to
// the stock kernel.
import * as tf from '@tensorflow/tfjs-core';
import { heapF32, runStock, type TensorInfo, type WasmBackend } from './backend.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function sumKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const axes = x.dtype === 'float32' ? [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q) : [];
  const lo = axes[0];
  const hi = axes[axes.length - 1] + 1;
  if (axes.length === 0 || hi - lo !== axes.length || hi === x.shape.length) {
    return runStock(tf.Sum, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const outer = prod(x.shape.slice(0, lo));
  const red = prod(x.shape.slice(lo, hi));
  const inner = prod(x.shape.slice(hi));
  const shape = keepDims ? x.shape.map((d, i) => (i >= lo && i < hi ? 1 : d)) : [...x.shape.slice(0, lo), ...x.shape.slice(hi)];
  const out = backend.makeOutput(shape, 'float32');
  // Views after the allocation (it may have grown the heap).
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let q = o * red * inner;
    for (let r = 0; r < red; r++, q += inner) {
      for (let i = 0; i < inner; i++) acc[i] += src[q + i];
    }
    dst.set(acc, o * inner);
  }
  return out;
}
