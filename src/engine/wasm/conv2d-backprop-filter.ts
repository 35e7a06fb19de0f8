// Conv2DBackpropFilter, which tfjs-backend-wasm lacks (so no CNN could train on it).
//
// dW[i, j, ci, co] = Σ_{n, oy, ox} x[n, oy·sh + i − pt, ox·sw + j − pl, ci] · dy[n, oy, ox, co]
//
// Main path: that sum is itself a convolution, with the batch as the reduction channel: the input
// x' = x transposed to [cin, H, W, N], the "filter" dy' = dy transposed to [oh, ow, N, cout] dilated by the
// stride, padded like the forward pass, gives [cin, kh, kw, cout]; one transpose back gives dW. The stock
// Conv2D (XNNPACK, multi-threaded) and Transpose (C++) kernels do all the work, nothing is materialised
// beyond the two transposed copies.
// Im2col path: patchesᵀ · dy, the transposed im2col matrix [kh·kw·cin, N·oh·ow] filled in JS on the
// wasm heap, times dy viewed as [N·oh·ow, cout] with XNNPACK. Taken when the bottom/right padding would
// have to be negative (the forward pass ignored the last rows/columns), and for few input channels: the
// transposed conv then has only cin·kh·kw output pixels and runs 3–15× slower than this (measured on the
// cnn's first layer, 3×3 over RGB or grey: 156 → 41 ms at 64×64×3, batch 64), while the im2col matrix stays small.
// NHWC, any strides, 'same' / 'valid' / explicit padding; dilations are always 1 for this kernel.
import * as tf from '@tensorflow/tfjs-core';
import { alloc, free, heapF32, runStock, stockConv2d, xnnMatMul, type TensorInfo, type WasmBackend } from './backend.js';

/** Patch depths (kh·kw·cin) below this take the im2col path (see above). */
const IM2COL_MAX_DEPTH = 64;

/** colsT[(i·kw + j)·cin + c][p] = x at the (i, j) tap of output position p (0 in the padding). */
export function im2colTransposed(
  xs: Float32Array,
  cols: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const p = nb * oh * ow;
  const rowStride = w * c;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose tap (i, j) falls inside the input: ox in [lo, hi).
      const lo = Math.min(ow, Math.max(0, Math.ceil((pl - j) / sw)));
      const hi = Math.max(lo, Math.min(ow, Math.floor((w - 1 + pl - j) / sw) + 1));
      for (let ch = 0; ch < c; ch++) {
        let q = ((i * kw + j) * c + ch) * p;
        for (let n = 0; n < nb; n++) {
          const xb = n * h * rowStride;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh + i - pt;
            if (iy < 0 || iy >= h) {
              cols.fill(0, q, q + ow);
              q += ow;
              continue;
            }
            if (lo > 0) cols.fill(0, q, q + lo);
            let src = xb + iy * rowStride + (lo * sw + j - pl) * c + ch;
            const step = sw * c;
            for (let ox = lo; ox < hi; ox++, src += step) cols[q + ox] = xs[src];
            if (hi < ow) cols.fill(0, q + hi, q + ow);
            q += ow;
          }
        }
      }
    }
  }
}

export function conv2DBackpropFilterKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
  if (format !== 'channelsLast') {
    throw new Error(`fsmtl's wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error('fsmtl\'s wasm Conv2DBackpropFilter supports float32 only');
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const p = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const cout = info.outChannels;
  if (p === 0 || k === 0 || cout === 0) {
    const zeros = alloc(backend, [...filterShape]);
    heapF32(backend, zeros).fill(0);
    return zeros;
  }
  if (k < IM2COL_MAX_DEPTH) return viaIm2col(backend, x, dy, info);
  return viaConv(backend, x, dy, info) ?? viaIm2col(backend, x, dy, info);
}

function viaConv(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo | null {
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // The dilated dy' spans (oh − 1)·sh + 1 rows; kh outputs need (oh − 1)·sh + kh padded input rows.
  const bottom = (oh - 1) * sh + kh - h - top;
  const right = (ow - 1) * sw + kw - w - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  const temps: TensorInfo[] = [];
  try {
    const xT = runStock(tf.Transpose, { inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }); // [cin, H, W, N]
    temps.push(xT);
    const dyT = runStock(tf.Transpose, { inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [oh, ow, N, cout]
    temps.push(dyT);
    const r = stockConv2d(backend, xT, dyT, { top, bottom, left, right }, [sh, sw]); // [cin, kh, kw, cout]
    temps.push(r);
    if (r.shape[1] !== kh || r.shape[2] !== kw) throw new Error(`Conv2DBackpropFilter: internal shape ${r.shape}`);
    return runStock(tf.Transpose, { inputs: { x: r }, backend, attrs: { perm: [1, 2, 0, 3] } });
  } finally {
    for (const t of temps) free(backend, t);
  }
}

function viaIm2col(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const p = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const cout = info.outChannels;
  const out = alloc(backend, [info.filterHeight, info.filterWidth, info.inChannels, cout]);
  const colsT = alloc(backend, [k * p]);
  try {
    // Views only now: the allocations above may have grown (and so detached) the heap.
    im2colTransposed(heapF32(backend, x), heapF32(backend, colsT), info);
    xnnMatMul(backend, colsT, dy, out, k, p, cout);
  } catch (e) {
    free(backend, out);
    throw e;
  } finally {
    free(backend, colsT);
  }
  return out;
}
