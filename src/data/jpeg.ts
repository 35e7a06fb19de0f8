// JPEG decoding (baseline and progressive, via jpeg-js) to float32 pixels in [0, 1], HWC.
// parseJpeg works on bytes and can run in a browser; readJpegFile adds the file access.
import jpeg from 'jpeg-js';
import { FsmtlError } from '../util/errors.js';
import { readBytes } from './cache.js';
import type { FloatImage } from './image.js';

export interface JpegOptions {
  /** 3: RGB (default); 1: grey, the ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B (as PIL's 'L'). */
  channels?: 1 | 3;
  /** Largest image accepted, in megapixels (default 25): a guard against absurd headers. */
  maxResolutionInMP?: number;
  /** Most memory jpeg-js may allocate while decoding one image, in MB (default 512). */
  maxMemoryUsageInMB?: number;
}

const SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Decodes JPEG bytes. `name` (usually the path) prefixes every error message. */
export function parseJpeg(bytes: Uint8Array, name: string, opts: JpegOptions = {}): FloatImage {
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new FsmtlError(`${name}: JPEG channels must be 1 or 3, got ${String(channels)}`);
  if (bytes.length === 0) throw new FsmtlError(`${name}: empty file, expected a JPEG image`);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: opts.maxResolutionInMP ?? 25,
      maxMemoryUsageInMB: opts.maxMemoryUsageInMB ?? 512,
    });
  } catch (e) {
    // jpeg-js throws plain Errors (and TypeErrors on some truncations); keep its first line as the reason.
    const why = String((e as Error).message ?? e).split('\n')[0];
    if (/limit exceeded/.test(why)) throw new FsmtlError(`${name}: JPEG too large to decode (${why})`);
    throw new FsmtlError(`${name}: corrupt or truncated JPEG (${why})`);
  }
  const { width, height, data } = raw;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new FsmtlError(`${name}: corrupt JPEG (decoded ${width}×${height} with ${data.length} bytes)`);
  }
  const n = width * height;
  const out = new Float32Array(n * channels);
  if (channels === 3) {
    for (let i = 0; i < out.length; i++) out[i] = SCALE[data[i]];
  } else {
    // Grey JPEGs come back as R = G = B, so the luma is the stored grey value.
    for (let i = 0; i < n; i++) out[i] = (0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2]) / 255;
  }
  return { height, width, channels, data: out };
}

/** Reads and decodes a JPEG file; errors name the path. Not cached: datasets hold many small images. */
export function readJpegFile(path: string, opts: JpegOptions = {}): FloatImage {
  return parseJpeg(readBytes(path), path, opts);
}
