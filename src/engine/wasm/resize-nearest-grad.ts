// ResizeNearestNeighborGrad: the gradient of nearest-neighbour upsampling (segnet's decoder). The stock
// wasm kernel, like tfjs's cpu one, searches a window of dy around every dx pixel; here each dx pixel
// sums its own contiguous block of dy rows × columns, found once per axis. Same mapping as the forward
// kernel and the cpu gradient (src = min(in − 1, floor(i · in/out)), or round with alignCorners), same
// summation order, accumulated in doubles as the cpu backend does.
import * as tf from '@tensorflow/tfjs-core';
import { alloc, heapF32, runStock, type TensorInfo, type WasmBackend } from './backend.js';

/** For each source index s in [0, inSize): the range [lo[s], hi[s]) of output indices that read it. */
export function nearestSources(inSize: number, outSize: number, alignCorners: boolean): { lo: Int32Array; hi: Int32Array } {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const scale = effIn / effOut;
  const lo = new Int32Array(inSize).fill(0);
  const hi = new Int32Array(inSize).fill(0);
  let prev = -1;
  for (let i = 0; i < outSize; i++) {
    const frac = i * scale;
    const s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (s !== prev) lo[s] = i;
    hi[s] = i + 1;
    prev = s;
  }
  return { lo, hi };
}

/** dx [b, xh, xw, d] from dy [b, yh, yw, d]. */
export function resizeNearestBackprop(dys: Float32Array, dx: Float32Array, shape: number[], yh: number, yw: number, alignCorners: boolean): void {
  const [b, xh, xw, d] = shape;
  const rows = nearestSources(xh, yh, alignCorners);
  const cols = nearestSources(xw, yw, alignCorners);
  const acc = new Float64Array(d);
  let q = 0;
  for (let n = 0; n < b; n++) {
    const dyBase = n * yh * yw * d;
    for (let r = 0; r < xh; r++) {
      for (let c = 0; c < xw; c++, q += d) {
        acc.fill(0);
        for (let i = rows.lo[r]; i < rows.hi[r]; i++) {
          for (let j = cols.lo[c]; j < cols.hi[c]; j++) {
            const p = dyBase + (i * yw + j) * d;
            for (let k = 0; k < d; k++) acc[k] += dys[p + k];
          }
        }
        for (let k = 0; k < d; k++) dx[q + k] = acc[k];
      }
    }
  }
}

export function resizeNearestNeighborGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
  const { alignCorners } = args.attrs as unknown as tf.ResizeNearestNeighborGradAttrs;
  if (dy.dtype !== 'float32' || images.shape.length !== 4 || dy.shape.length !== 4) {
    return runStock(tf.ResizeNearestNeighborGrad, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const dx = alloc(backend, [...images.shape]);
  resizeNearestBackprop(heapF32(backend, dy), heapF32(backend, dx), images.shape, dy.shape[1], dy.shape[2], !!alignCorners);
  return dx;
}
