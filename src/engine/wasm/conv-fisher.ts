// FsmtlConvFisher (../conv-fisher.ts) on wasm: per example, fsmtl's Conv2DBackpropFilter on aliases of
// that example's x and dy (no copies), squared and accumulated in one pass over the small filter.
import * as tf from '@tensorflow/tfjs-core';
import { convFisherInfo, type ConvFisherAttrs } from '../conv-fisher.js';
import { alias, alloc, free, heapF32, releaseAlias, type TensorInfo, type WasmBackend } from './backend.js';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter.js';

export function convFisherKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy, w } = args.inputs as { x: TensorInfo; dy: TensorInfo; w?: TensorInfo };
  const attrs = args.attrs as unknown as ConvFisherAttrs;
  convFisherInfo(x, dy, w, attrs);
  const n = x.shape[0];
  const xSize = tf.util.sizeFromShape(x.shape.slice(1));
  const dySize = tf.util.sizeFromShape(dy.shape.slice(1));
  const out = alloc(backend, [...attrs.filterShape]);
  heapF32(backend, out).fill(0);
  const weights = w ? Float32Array.from(heapF32(backend, w)) : null;
  const bpAttrs = { strides: attrs.strides, pad: attrs.pad, dataFormat: 'NHWC', filterShape: attrs.filterShape };
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i] : 1;
    if (wi === 0) continue;
    const xi = alias(backend, x, i * xSize, [1, ...x.shape.slice(1)]);
    const dyi = alias(backend, dy, i * dySize, [1, ...dy.shape.slice(1)]);
    try {
      const g = conv2DBackpropFilterKernel({ inputs: { x: xi, dy: dyi }, backend, attrs: bpAttrs as unknown as tf.NamedAttrMap });
      // Views after the kernel's allocations (the heap may have grown).
      const gv = heapF32(backend, g);
      const acc = heapF32(backend, out);
      for (let j = 0; j < gv.length; j++) acc[j] += wi * gv[j] * gv[j];
      free(backend, g);
    } finally {
      releaseAlias(backend, xi);
      releaseAlias(backend, dyi);
    }
  }
  return out;
}
