// MaxPoolGrad; the stock kernel is a scalar gather loop over every (input pixel, window) pair.
//
// Here: one pass over the output windows; in each, the first maximum of every channel (strict >, rows then
// columns: the same tie rule as tfjs's cpu backend, which matters after a relu) receives dy. Works for any
// window, stride and padding (overlapping windows accumulate), with an unrolled path for 2×2 / stride 2;
// dilations are 1 for this kernel.
import * as tf from '@tensorflow/tfjs-core';
import { alloc, heapF32, runStock, type TensorInfo, type WasmBackend } from './backend.js';

export function maxPoolBackprop(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && pt === 0 && pl === 0 && 2 * oh <= h && 2 * ow <= w) {
    pool2x2(xs, dys, dx, nb, h, w, c, oh, ow);
    return;
  }
  dx.fill(0);
  const rowStride = w * c;
  let dyIdx = 0;
  for (let n = 0; n < nb; n++) {
    const xb = n * h * rowStride;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(h, y0 + fh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(w, x0 + fw);
        const corner = xb + yLo * rowStride + xLo * c;
        for (let ch = 0; ch < c; ch++, dyIdx++) {
          let best = -Infinity;
          let at = -1;
          for (let iy = yLo, row = corner + ch; iy < yHi; iy++, row += rowStride) {
            for (let ix = xLo, q = row; ix < xHi; ix++, q += c) {
              const v = xs[q];
              if (v > best) {
                best = v;
                at = q;
              }
            }
          }
          if (at >= 0) dx[at] += dys[dyIdx];
        }
      }
    }
  }
}

/**
 * 2×2 windows, stride 2, no padding: the LeNet/VGG case, unrolled. Windows do not overlap, so each writes
 * its four dx values (no zeroing pass over dx first); rows and columns past the last window (odd sizes) get 0.
 */
function pool2x2(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  nb: number,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
): void {
  const rowStride = w * c;
  let dyIdx = 0;
  for (let n = 0; n < nb; n++) {
    const base = n * h * rowStride;
    for (let oy = 0; oy < oh; oy++) {
      const row0 = base + 2 * oy * rowStride;
      let p0 = row0;
      for (let ox = 0; ox < ow; ox++, p0 += c) {
        for (let ch = 0; ch < c; ch++, dyIdx++, p0++) {
          const p1 = p0 + c;
          const p2 = p0 + rowStride;
          const p3 = p2 + c;
          // Same tie rule as the general loop: the first maximum in row-major order, NaN never wins.
          let best = -Infinity;
          let at = -1;
          let v = xs[p0];
          if (v > best) {
            best = v;
            at = 0;
          }
          v = xs[p1];
          if (v > best) {
            best = v;
            at = 1;
          }
          v = xs[p2];
          if (v > best) {
            best = v;
            at = 2;
          }
          v = xs[p3];
          if (v > best) at = 3;
          const g = dys[dyIdx];
          dx[p0] = at === 0 ? g : 0;
          dx[p1] = at === 1 ? g : 0;
          dx[p2] = at === 2 ? g : 0;
          dx[p3] = at === 3 ? g : 0;
        }
      }
      // Columns past the last window, in both rows of this window row.
      if (2 * ow < w) {
        dx.fill(0, row0 + 2 * ow * c, row0 + rowStride);
        dx.fill(0, row0 + rowStride + 2 * ow * c, row0 + 2 * rowStride);
      }
    }
    if (2 * oh < h) dx.fill(0, base + 2 * oh * rowStride, base + h * rowStride);
  }
}

export function maxPoolGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) {
    return runStock(tf.MaxPoolGrad, { inputs: args.inputs, backend, attrs: args.attrs });
  }
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = alloc(backend, [...input.shape]);
  maxPoolBackprop(heapF32(backend, input), heapF32(backend, dy), heapF32(backend, dx), info);
  return dx;
}
