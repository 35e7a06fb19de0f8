// GatherV2 (tf.gather): the stock kernel walks every output element through generic strided index math,
// about 7–10 ms to gather a batch of 256 MNIST images, more than a whole training step should take. Here
// each gathered slice is one copy on the heap (copyWithin is a memmove). batchDims > 0 goes to the stock kernel.
import * as tf from '@tensorflow/tfjs-core';
import { runStock, type TensorInfo, type WasmBackend } from './backend.js';

/** Below this many elements per slice a plain loop beats copyWithin's call overhead. */
const COPY_MIN = 16;

export function gatherV2Kernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
  if ((batchDims ?? 0) !== 0 || x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') {
    return runStock(tf.GatherV2, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const dim = x.shape[ax];
  const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const slice = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
  // Views after the allocation (it may have grown the heap).
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (!(k >= 0 && k < dim)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${k} is not in [0, ${dim - 1}]`);
    }
  }
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (slice === 0 || idx.length === 0) return out;
  // One heap-wide view of the same element size, so that copyWithin moves whole slices.
  const heap = new (src.constructor as Float32ArrayConstructor)(src.buffer);
  const s0 = src.byteOffset / src.BYTES_PER_ELEMENT;
  const d0 = dst.byteOffset / dst.BYTES_PER_ELEMENT;
  const n = idx.length;
  for (let o = 0; o < outer; o++) {
    const sBase = s0 + o * dim * slice;
    const dBase = d0 + o * n * slice;
    for (let i = 0; i < n; i++) {
      const s = sBase + idx[i] * slice;
      const d = dBase + i * slice;
      if (slice >= COPY_MIN) heap.copyWithin(d, s, s + slice);
      else for (let j = 0; j < slice; j++) heap[d + j] = heap[s + j];
    }
  }
  return out;
}
