// Conv2DBackpropInput (the input gradient of a convolution); the stock kernel is a scalar loop.
//
//  - stride 1: dx = conv2d(dy, W rotated 180° with in/out channels swapped), padded with the 'full'
//    padding minus the forward padding: the stock Conv2D kernel (XNNPACK, multi-threaded) does the work.
//  - other strides: cols = dy · Wᵀ ([N·oh·ow, cout] × [cout, kh·kw·cin], XNNPACK), then col2im in JS
//    (scatter-add of every column block into dx).
// NCHW and non-float32 inputs go to the stock kernel.
import * as tf from '@tensorflow/tfjs-core';
import {
  alloc,
  free,
  heapF32,
  runStock,
  stockConv2d,
  transposeLast2,
  view,
  xnnMatMul,
  type TensorInfo,
  type WasmBackend,
} from './backend.js';

/** dx[n, oy·sh + i − pt, ox·sw + j − pl, c] += cols[(n, oy, ox)][(i·kw + j)·cin + c]; dx must be zeroed. */
export function col2imAdd(cols: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const k = kh * kw * c;
  let src = 0;
  for (let n = 0; n < nb; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, src += k) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh + i - pt;
          if (iy < 0 || iy >= h) continue;
          const rowBase = (n * h + iy) * w;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw + j - pl;
            if (ix < 0 || ix >= w) continue;
            let s = src + (i * kw + j) * c;
            let d = (rowBase + ix) * c;
            for (let ch = 0; ch < c; ch++) dx[d++] += cols[s++];
          }
        }
      }
    }
  }
}

function viaConv(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo | null {
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = h - oh + kh - 1 - top;
  const right = w - ow + kw - 1 - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  const cin = info.inChannels;
  const cout = info.outChannels;
  // rotated[i, j, co, ci] = W[kh−1−i, kw−1−j, ci, co]
  const rotated = alloc(backend, [kh, kw, cout, cin]);
  try {
    const src = heapF32(backend, filter);
    const dst = heapF32(backend, rotated);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
        const d0 = (i * kw + j) * cout * cin;
        for (let co = 0; co < cout; co++) {
          for (let ci = 0; ci < cin; ci++) dst[d0 + co * cin + ci] = src[s0 + ci * cout + co];
        }
      }
    }
    return stockConv2d(backend, dy, rotated, { top, bottom, left, right }, [1, 1]);
  } finally {
    free(backend, rotated);
  }
}

function viaCol2im(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const p = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const cout = info.outChannels;
  const dx = alloc(backend, [...info.inShape]);
  if (p === 0 || k === 0 || cout === 0) {
    heapF32(backend, dx).fill(0);
    return dx;
  }
  const temps: TensorInfo[] = [];
  try {
    const wT = transposeLast2(backend, view(filter, [1, k, cout])); // [1, cout, k]
    temps.push(wT);
    const cols = alloc(backend, [p * k]);
    temps.push(cols);
    xnnMatMul(backend, dy, wT, cols, p, cout, k);
    const dxs = heapF32(backend, dx);
    dxs.fill(0);
    col2imAdd(heapF32(backend, cols), dxs, info);
    return dx;
  } catch (e) {
    free(backend, dx);
    throw e;
  } finally {
    for (const t of temps) free(backend, t);
  }
}

export function conv2DBackpropInputKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
  if (format !== 'channelsLast' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    return runStock(tf.Conv2DBackpropInput, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format);
  if (info.strideHeight === 1 && info.strideWidth === 1) {
    const out = viaConv(backend, dy, filter, info);
    if (out) {
      if (out.shape.every((d, i) => d === inputShape[i])) return out;
      free(backend, out);
    }
  }
  return viaCol2im(backend, dy, filter, info);
}
