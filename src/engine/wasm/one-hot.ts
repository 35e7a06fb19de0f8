// OneHot: the stock C++ kernel always writes int32 values, whatever `dtype` says, so
// tf.oneHot(indices, depth, on, off, 'float32') (e.g. a one-hot filter or label-smoothing targets) yields
// garbage floats on wasm. Non-int32 outputs are written here, in JS; int32 ones go to the stock kernel.
import * as tf from '@tensorflow/tfjs-core';
import { runStock, type TensorInfo, type WasmBackend } from './backend.js';

export function oneHotKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { indices } = args.inputs as { indices: TensorInfo };
  const { dtype, depth, onValue, offValue } = args.attrs as unknown as tf.OneHotAttrs;
  if (dtype === 'int32' || indices.dtype !== 'int32') {
    return runStock(tf.OneHot, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const out = backend.makeOutput([...indices.shape, depth], dtype);
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  const vals = backend.typedArrayFromHeap(out);
  vals.fill(offValue);
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (k >= 0 && k < depth) vals[i * depth + k] = onValue;
  }
  return out;
}
