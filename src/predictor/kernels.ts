// The sparse path's two kernels, in plain TypeScript (the TensorFlow.js-free predictor and the wasm
// engine use these; the native engine has the same two in C, native/src/sparse_infer.c). Both compute
// only with kept weights, stored compressed by rows:
//   ptr[r] … ptr[r+1] − 1   the entries of row r;  idx[e], val[e]: the entry's position and weight.
// Conv layers have a row per filter (idx: where the tap's input is). Dense layers have either a row
// per output unit (idx: the input; 'by-output', a gathered dot product per unit, which the C kernels
// vectorise over 16 examples) or a row per input (idx: the unit; 'by-input', which the TypeScript
// kernel uses: it skips the inputs that are zero, and after a ReLU or on a digit's blank background
// most are). The structure is validated once when it is built (src/predictor/sparse-net.ts).

export type Index = Uint16Array | Uint32Array;

export interface SparseKernels {
  readonly name: string;
  /** How dense layers are laid out for this kernel set. */
  readonly denseLayout: 'by-output' | 'by-input';
  /**
   * y[b·units + j] = max(0?, bias[j] + Σ w·x[b·inputs + i]) over the kept weights w from input i to unit j,
   * for b < n (units = bias.length; rows are units or inputs as denseLayout says).
   */
  dense(x: Float32Array, n: number, inputs: number, ptr: Int32Array, idx: Index, val: Float32Array, bias: Float32Array, relu: boolean, y: Float32Array): void;
  /**
   * For each of n images x (zero-padded, channel-major [cin][hp][wp]): the k×k stride-1 convolution of
   * each filter f (idx[e] = ci·hp·wp + dy·wp + dx), + bias, ReLU, then 2×2 max pooling, written into dst
   * as [filters][ph + 2q][pw + 2q] with q = dstPad (the border is left as it is: zeros).
   */
  convPool(
    x: Float32Array, n: number, cin: number, hp: number, wp: number, k: number,
    ptr: Int32Array, idx: Index, val: Float32Array, bias: Float32Array, filters: number, dst: Float32Array, dstPad: number,
  ): void;
}

/** Output pixels of a conv row computed together (unrolled below): each tap's weight is loaded once per tile. */
const TILE = 8;

export const jsKernels: SparseKernels = {
  name: 'js',
  denseLayout: 'by-input',
  dense(x, n, inputs, ptr, idx, val, bias, relu, y) {
    const units = bias.length;
    // One example's sums, in double precision (as a JS number accumulates anyway).
    const acc = new Float64Array(units);
    for (let b = 0; b < n; b++) {
      const xo = b * inputs;
      acc.set(bias);
      for (let i = 0; i < inputs; i++) {
        const v = x[xo + i];
        if (v === 0) continue;
        for (let e = ptr[i], end = ptr[i + 1]; e < end; e++) acc[idx[e]] += v * val[e];
      }
      const yo = b * units;
      for (let j = 0; j < units; j++) {
        const a = acc[j];
        y[yo + j] = relu && a < 0 ? 0 : a;
      }
    }
  },
  convPool(x, n, cin, hp, wp, k, ptr, idx, val, bias, filters, dst, q) {
    const oh = hp - k + 1, ow = wp - k + 1;
    const ph = oh >> 1, pw = ow >> 1;
    const w2 = 2 * pw;
    const dh = ph + 2 * q, dw = pw + 2 * q;
    const rows = new Float32Array(2 * w2);
    for (let b = 0; b < n; b++) {
      const xb = b * cin * hp * wp;
      const db = b * filters * dh * dw;
      for (let f = 0; f < filters; f++) {
        const e0 = ptr[f], e1 = ptr[f + 1], bf = bias[f];
        for (let py = 0; py < ph; py++) {
          for (let r = 0; r < 2; r++) {
            const base = xb + (2 * py + r) * wp;
            const ro = r * w2;
            let ox = 0;
            // Whole tiles, the last one overlapping the previous when the width is not a multiple.
            while (w2 >= TILE && ox < w2) {
              const o0 = Math.min(ox, w2 - TILE);
              let a0 = bf, a1 = bf, a2 = bf, a3 = bf, a4 = bf, a5 = bf, a6 = bf, a7 = bf;
              for (let e = e0; e < e1; e++) {
                const w = val[e], s = base + idx[e] + o0;
                a0 += w * x[s];
                a1 += w * x[s + 1];
                a2 += w * x[s + 2];
                a3 += w * x[s + 3];
                a4 += w * x[s + 4];
                a5 += w * x[s + 5];
                a6 += w * x[s + 6];
                a7 += w * x[s + 7];
              }
              const ro0 = ro + o0;
              rows[ro0] = a0;
              rows[ro0 + 1] = a1;
              rows[ro0 + 2] = a2;
              rows[ro0 + 3] = a3;
              rows[ro0 + 4] = a4;
              rows[ro0 + 5] = a5;
              rows[ro0 + 6] = a6;
              rows[ro0 + 7] = a7;
              ox = o0 + TILE;
            }
            for (; ox < w2; ox++) {
              let a = bf;
              for (let e = e0; e < e1; e++) a += val[e] * x[base + idx[e] + ox];
              rows[ro + ox] = a;
            }
          }
          const d = db + f * dh * dw + (py + q) * dw + q;
          for (let px = 0; px < pw; px++) {
            let m = rows[2 * px];
            if (rows[2 * px + 1] > m) m = rows[2 * px + 1];
            if (rows[w2 + 2 * px] > m) m = rows[w2 + 2 * px];
            if (rows[w2 + 2 * px + 1] > m) m = rows[w2 + 2 * px + 1];
            dst[d + px] = m > 0 ? m : 0;
          }
        }
      }
    }
  },
};
