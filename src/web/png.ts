// The PNG codec of the browser entry (see src/io/png-codec.ts): fflate inflates (its zlib wrapper, with the
// stream's Adler-32 checked here), fast-png decodes; pixels are normalised to 8-bit RGBA as pngjs gives them
// in Node (samples scaled by 255 / (2^depth − 1), rounded; tRNS colour keys become transparent).
import { unzlibSync } from 'fflate';
import { convertIndexedToRgb, decode } from 'fast-png';
import type { PngCodec } from '../io/png-codec.js';

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) s += a += b[i];
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

function inflate(stream: Uint8Array, maxLength: number): Uint8Array {
  const out = unzlibSync(stream);
  if (out.length > maxLength) throw Object.assign(new Error('output too large'), { code: 'ERR_BUFFER_TOO_LARGE' });
  const n = stream.length;
  const stored = n >= 4 ? ((stream[n - 4] << 24) | (stream[n - 3] << 16) | (stream[n - 2] << 8) | stream[n - 1]) >>> 0 : -1;
  if (stored !== adler32(out)) throw new Error('incorrect data check');
  return out;
}

function decodeRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = decode(bytes);
  const { width, height } = png;
  const n = width * height;
  const rgba = new Uint8Array(4 * n);
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const c = rgb.length / n;
    for (let i = 0; i < n; i++) {
      rgba[4 * i] = rgb[c * i];
      rgba[4 * i + 1] = rgb[c * i + 1];
      rgba[4 * i + 2] = rgb[c * i + 2];
      rgba[4 * i + 3] = c === 4 ? rgb[c * i + 3] : 255;
    }
    return { width, height, data: rgba };
  }
  const max = 2 ** png.depth - 1;
  const scale = (v: number) => (png.depth === 8 ? v : Math.round((v * 255) / max));
  const c = png.channels;
  const key = png.transparency; // tRNS colour key: grey [v] or RGB [r, g, b]
  const d = png.data;
  for (let i = 0; i < n; i++) {
    const o = c * i;
    const grey = c <= 2;
    const r = d[o];
    const g = grey ? d[o] : d[o + 1];
    const b = grey ? d[o] : d[o + 2];
    let a = c === 2 ? d[o + 1] : c === 4 ? d[o + 3] : max;
    if (key && (grey ? key[0] === r : key[0] === r && key[1] === g && key[2] === b)) a = 0;
    rgba[4 * i] = scale(r);
    rgba[4 * i + 1] = scale(g);
    rgba[4 * i + 2] = scale(b);
    rgba[4 * i + 3] = scale(a);
  }
  return { width, height, data: rgba };
}

export const fflateAndFastPng: PngCodec = { inflate, decode: decodeRgba };
