// Float images in HWC layout (row-major, channels interleaved): bilinear resize and centre crop.
// No file access here, so that these helpers also run in a browser.
import { FsmtlError } from '../util/errors.js';

/** A decoded image: height × width × channels float32 values, row-major, channels interleaved (HWC). */
export interface FloatImage {
  height: number;
  width: number;
  channels: number;
  data: Float32Array;
}

export interface ResizeOptions {
  /** Interleaved channels of src and dst (default 1). */
  channels?: number;
  /**
   * When shrinking, widen the triangle filter to the scale factor (like PIL's bilinear resize and
   * torchvision's antialias=True), so that every source pixel counts; default false (plain 2-tap
   * bilinear, like tf.image.resize). Enlarging is the same either way.
   */
  antialias?: boolean;
}

/** Source taps of one axis: output d reads src[index[d*k + t]] with weight weight[d*k + t], t < k. */
interface Taps {
  k: number;
  index: Int32Array;
  weight: Float64Array;
}

function axisTaps(sn: number, dn: number, antialias: boolean): Taps {
  const scale = sn / dn;
  if (!antialias || scale <= 1) {
    // Plain bilinear; weights are rounded to float32 as they always were, so results stay bit-identical.
    const index = new Int32Array(2 * dn);
    const weight = new Float64Array(2 * dn);
    const w = new Float32Array(1);
    for (let d = 0; d < dn; d++) {
      let s = ((d + 0.5) * sn) / dn - 0.5;
      if (s < 0) s = 0;
      if (s > sn - 1) s = sn - 1;
      const f = Math.floor(s);
      w[0] = s - f;
      index[2 * d] = f;
      index[2 * d + 1] = Math.min(f + 1, sn - 1);
      weight[2 * d] = 1 - w[0];
      weight[2 * d + 1] = w[0];
    }
    return { k: 2, index, weight };
  }
  // Triangle filter of half-width `scale` around each output centre, normalised over the taps that
  // fall inside the image (PIL's convention at the borders).
  const k = 2 * Math.ceil(scale) + 1;
  const index = new Int32Array(k * dn);
  const weight = new Float64Array(k * dn);
  for (let d = 0; d < dn; d++) {
    const s = (d + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(s - scale));
    let total = 0;
    for (let t = 0; t < k; t++) {
      const i = lo + t;
      const wt = i < sn ? Math.max(0, 1 - Math.abs(i - s) / scale) : 0;
      index[d * k + t] = Math.min(i, sn - 1);
      weight[d * k + t] = wt;
      total += wt;
    }
    for (let t = 0; t < k; t++) weight[d * k + t] /= total;
  }
  return { k, index, weight };
}

/**
 * Bilinear resize of an sh×sw image (HWC, `channels` interleaved) into dst[dstOffset ..] (dh×dw),
 * multiplying by scale. Half-pixel centres (like tf.image.resize / PIL); same size gives the identity.
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  sh: number,
  sw: number,
  dst: Float32Array,
  dstOffset: number,
  dh: number,
  dw: number,
  scale = 1,
  opts: ResizeOptions = {},
): void {
  const C = opts.channels ?? 1;
  const ay = axisTaps(sh, dh, opts.antialias ?? false);
  const ax = axisTaps(sw, dw, opts.antialias ?? false);
  const ky = ay.k;
  const kx = ax.k;
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      for (let c = 0; c < C; c++) {
        // Each row is blended horizontally first, then the rows vertically.
        let acc = 0;
        for (let ty = 0; ty < ky; ty++) {
          const wy = ay.weight[y * ky + ty];
          if (wy === 0) continue;
          const row = ay.index[y * ky + ty] * sw;
          let h = 0;
          for (let tx = 0; tx < kx; tx++) {
            const wx = ax.weight[x * kx + tx];
            if (wx !== 0) h += src[(row + ax.index[x * kx + tx]) * C + c] * wx;
          }
          acc += h * wy;
        }
        dst[dstOffset + (y * dw + x) * C + c] = acc * scale;
      }
    }
  }
}

function checkSize(h: number, w: number, what: string): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new FsmtlError(`${what}: size must be positive integers, got ${h}×${w}`);
  }
}

/** The image resized to height×width (bilinear; antialiased when shrinking unless antialias is false). */
export function resizeImage(img: FloatImage, height: number, width: number, antialias = true): FloatImage {
  checkSize(height, width, 'resizeImage');
  const data = new Float32Array(height * width * img.channels);
  resizeBilinear(img.data, img.height, img.width, data, 0, height, width, 1, { channels: img.channels, antialias });
  return { height, width, channels: img.channels, data };
}

/**
 * The central height×width window of the image; an odd margin leaves the extra row (column) at the
 * bottom (right). E.g. a 178×178 crop of a 218×178 aligned CelebA image keeps rows 20 to 197.
 */
export function centerCrop(img: FloatImage, height: number, width: number): FloatImage {
  checkSize(height, width, 'centerCrop');
  if (height > img.height || width > img.width) {
    throw new FsmtlError(`centerCrop: cannot crop ${height}×${width} from a ${img.height}×${img.width} image`);
  }
  const C = img.channels;
  const y0 = Math.floor((img.height - height) / 2);
  const x0 = Math.floor((img.width - width) / 2);
  const data = new Float32Array(height * width * C);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * img.width + x0) * C;
    data.set(img.data.subarray(from, from + width * C), y * width * C);
  }
  return { height, width, channels: C, data };
}

/** The largest central square (side min(height, width)). */
export function centerSquare(img: FloatImage): FloatImage {
  const side = Math.min(img.height, img.width);
  return centerCrop(img, side, side);
}
