// Images to predict on, from an IDX file (raw or gzip), a .npy file (or a one-array .npz), or PNG files:
// uint8 pixels 0–255 (scaled by 1/255, as the benchmarks do) or float32/float64 values in [0, 1];
// shape [N, H, W] (one channel) or [N, H, W, C]. Pure functions on bytes, plus file helpers.
import { isGzip, parseIdx, type IdxArray } from '../data/idx.js';
import { parseNpy, parseNpz, type NpyArray } from '../data/npy.js';
import { crc32 } from '../util/crc32.js';
import { FsmtlError } from '../util/errors.js';
import { readdirSync, statSync } from '../util/fs.js';
import { join } from 'pathe';
import { pngCodec } from './png-codec.js';
import { readBytes } from './files.js';
import { parseJpeg } from '../data/jpeg.js';
import { centerCrop, resizeImage, type FloatImage } from '../data/image.js';

export interface ImageBatch {
  /** n × H × W × C values in [0, 1], row-major. */
  x: Float32Array;
  n: number;
  /** One image's shape, [H, W, C]. */
  shape: [number, number, number];
  format: 'idx' | 'npy' | 'npz' | 'png' | 'jpeg';
  /** Source file of each image, when the images came from image files. */
  files?: string[];
  /** How many image files had another size and were cropped and resized to the model's. */
  resized?: number;
}

/** The same float32 values the dataset loaders produce for uint8 pixels. */
const SCALE = new Float32Array(256).map((_, v) => v / 255);

function imageShape(dims: number[], name: string, what: string): [number, number, number] {
  if (dims.length !== 3 && dims.length !== 4) {
    throw new FsmtlError(`${name}: expected images of shape [N, H, W] or [N, H, W, C], got a ${dims.length}-D ${what} of shape [${dims.join(', ')}]`);
  }
  return [dims[1], dims[2], dims[3] ?? 1];
}

function fromUint8(data: Uint8Array): Float32Array {
  const x = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) x[i] = SCALE[data[i]];
  return x;
}

export function imagesFromIdx(arr: IdxArray, name: string): ImageBatch {
  const shape = imageShape(arr.dims, name, 'IDX array');
  return { x: fromUint8(arr.data), n: arr.dims[0], shape, format: 'idx' };
}

export function imagesFromNpy(arr: NpyArray, name: string, format: 'npy' | 'npz' = 'npy'): ImageBatch {
  const shape = imageShape(arr.shape, name, `${arr.dtype} array`);
  const n = arr.shape[0];
  if (arr.dtype === 'uint8') return { x: fromUint8(arr.data as Uint8Array), n, shape, format };
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') {
    throw new FsmtlError(`${name}: images must be uint8 (0–255) or float32 (0–1), got ${arr.dtype} ('${arr.descr}')`);
  }
  const src = arr.data as Float32Array | Float64Array;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!(v >= 0 && v <= 1)) {
      throw new FsmtlError(`${name}: float images must hold values in [0, 1], found ${v} at element ${i} (uint8 images are scaled by 1/255 automatically)`);
    }
  }
  return { x: src instanceof Float32Array ? src : Float32Array.from(src), n, shape, format };
}

/** Decodes input images, recognising the format from the content. */
export function imagesFromBytes(bytes: Uint8Array, name: string): ImageBatch {
  const starts = (...b: number[]) => b.every((v, i) => bytes[i] === v);
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return imagesFromNpy(parseNpy(bytes, name), name);
  if (starts(0x50, 0x4b)) {
    const arrays = Object.entries(parseNpz(bytes, name));
    if (arrays.length !== 1) {
      throw new FsmtlError(`${name}: an .npz input must hold exactly one array, it has ${arrays.length} (${arrays.map(([k]) => k).join(', ')})`);
    }
    return imagesFromNpy(arrays[0][1], `${name}[${arrays[0][0]}]`, 'npz');
  }
  if (isGzip(bytes) || starts(0, 0)) return imagesFromIdx(parseIdx(bytes, name), name);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return imagesFromPng(bytes, name);
  throw new FsmtlError(`${name}: not an IDX (raw or gzip), .npy or .npz file`);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths allowed for each PNG colour type, and its samples per pixel. */
const PNG_COLOR_TYPES: Record<number, { depths: number[]; channels: number }> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { depths: [8, 16], channels: 3 },
  3: { depths: [1, 2, 4, 8], channels: 1 },
  4: { depths: [8, 16], channels: 2 },
  6: { depths: [8, 16], channels: 4 },
};
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Checks what pngjs does not: it inflates IDAT only up to the size IHDR implies, so it never reaches
 * the zlib stream's Adler-32, and where the data are shorter than IHDR says it decodes whatever its
 * unfilled buffers held (zeros, garbage or a filter error, differing from call to call). So the chunks
 * are walked here (CRC of each), IDAT is inflated with zlib's own checks, and the filtered rows must be
 * exactly as many bytes as IHDR's size, depth, colour type and interlacing make them.
 */
function checkPng(bytes: Uint8Array, name: string): void {
  const fail = (what: string): never => {
    throw new FsmtlError(`${name}: not a readable PNG image (${what})`);
  };
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) fail('no PNG signature');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let ihdr: { w: number; h: number; depth: number; color: number; interlace: number } | null = null;
  const idat: Uint8Array[] = [];
  let p = 8;
  let ended = false;
  while (!ended) {
    if (p + 12 > bytes.length) fail('truncated: no IEND chunk');
    const len = v.getUint32(p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (len > 0x7fffffff || p + 12 + len > bytes.length) fail(`${type} chunk runs past the end of the file`);
    const data = bytes.subarray(p + 8, p + 8 + len);
    const crc = crc32(data, crc32(bytes.subarray(p + 4, p + 8)));
    if (crc !== v.getUint32(p + 8 + len)) fail(`CRC-32 of the ${type} chunk does not match its data`);
    if (p === 8 && type !== 'IHDR') fail(`the first chunk is ${type}, not IHDR`);
    if (type === 'IHDR') {
      if (len !== 13) fail(`IHDR is ${len} bytes, not 13`);
      const d = new DataView(data.buffer, data.byteOffset, 13);
      ihdr = { w: d.getUint32(0), h: d.getUint32(4), depth: data[8], color: data[9], interlace: data[12] };
      const ct = PNG_COLOR_TYPES[ihdr.color];
      if (!ct || !ct.depths.includes(ihdr.depth)) fail(`IHDR: colour type ${ihdr.color} with bit depth ${ihdr.depth}`);
      if (ihdr.w < 1 || ihdr.h < 1 || ihdr.w > 0x7fffffff || ihdr.h > 0x7fffffff) fail(`IHDR: size ${ihdr.w}×${ihdr.h}`);
      if (data[10] !== 0 || data[11] !== 0 || ihdr.interlace > 1) fail('IHDR: unknown compression, filter or interlace method');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    p += 12 + len;
  }
  const hd = ihdr!;
  const bitsPerPixel = PNG_COLOR_TYPES[hd.color].channels * hd.depth;
  const rowsBytes = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  const expected = hd.interlace
    ? ADAM7.reduce((n, [x0, y0, dx, dy]) => n + rowsBytes(Math.ceil((hd.w - x0) / dx), Math.ceil((hd.h - y0) / dy)), 0)
    : rowsBytes(hd.w, hd.h);
  const stream = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((o, c) => (stream.set(c, o), o + c.length), 0);
  const size = `IHDR says ${hd.w}×${hd.h} (${expected} bytes of filtered rows)`;
  let rows: Uint8Array;
  try {
    rows = pngCodec().inflate(stream, expected);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_BUFFER_TOO_LARGE') fail(`${size}, but the image data hold more`);
    if (/incorrect data check/.test(err.message)) fail('the image data fail their zlib Adler-32 check');
    return fail(`corrupt image data: ${err.message}`);
  }
  if (rows.length !== expected) fail(`${size}, but the image data hold ${rows.length}`);
}

/**
 * A PNG image's pixels in [0, 1], HWC: one grey channel (luminance 0.299·R + 0.587·G + 0.114·B) or
 * RGB, composited over black where transparent (MNIST-style data is light strokes on black). Each
 * value is rounded to 8 bits first, so that a PNG and a uint8 array of the same image agree.
 */
export function pngPixels(bytes: Uint8Array, name: string, channels: 1 | 3 = 1): FloatImage {
  checkPng(bytes, name);
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = pngCodec().decode(bytes);
  } catch (e) {
    throw new FsmtlError(`${name}: not a readable PNG image (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  const n = width * height;
  const px = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b, a] = [data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]];
    if (channels === 1) px[i] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * a) / 255);
    else {
      px[3 * i] = Math.round((r * a) / 255);
      px[3 * i + 1] = Math.round((g * a) / 255);
      px[3 * i + 2] = Math.round((b * a) / 255);
    }
  }
  return { height, width, channels, data: fromUint8(px) };
}

/** One PNG image as a single grey channel (see pngPixels). */
/** One image file (PNG, or JPEG when `fit` is given) as a batch of one, grey unless `fit` asks for colour. */
export function imagesFromPng(bytes: Uint8Array, name: string, fit?: [number, number, number]): ImageBatch {
  return imageFile(bytes, name, fit);
}

const isJpeg = (bytes: Uint8Array) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/**
 * An image file decoded with the channels of `fit` (grey: luminance; RGB), and, when its size is not
 * fit's, its centre cropped to fit's aspect ratio and resized (antialiased): how a model trained on
 * square crops of larger photos (CelebA's faces) sees a photo. Without `fit`: grey, as it is.
 */
function imageFile(bytes: Uint8Array, name: string, fit?: [number, number, number]): ImageBatch {
  const channels = fit && fit[2] === 3 ? 3 : 1;
  let img = isJpeg(bytes) ? parseJpeg(bytes, name, { channels }) : pngPixels(bytes, name, channels);
  const resized = fit !== undefined && (img.height !== fit[0] || img.width !== fit[1]);
  if (resized) {
    const ratio = fit[1] / fit[0];
    const w = Math.min(img.width, Math.round(img.height * ratio));
    const h = Math.min(img.height, Math.round(w / ratio));
    img = resizeImage(centerCrop(img, h, w), fit[0], fit[1]);
  }
  return { x: img.data, n: 1, shape: [img.height, img.width, img.channels], format: isJpeg(bytes) ? 'jpeg' : 'png', files: [name], resized: resized ? 1 : 0 };
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/**
 * Every PNG or JPEG file of a folder, in file-name order, as one batch: fitted to `fit` (see imageFile),
 * or, without it, grey images that must all have one size.
 */
export function readPngFolder(dir: string, fit?: [number, number, number]): ImageBatch {
  const names = readdirSync(dir)
    .filter((f) => IMAGE_FILE.test(f))
    .sort();
  if (names.length === 0) throw new FsmtlError(`${dir}: the folder holds no .png or .jpg images`);
  const images = names.map((f) => imageFile(readBytes(join(dir, f), 'input image'), join(dir, f), fit));
  const [h, w, c] = images[0].shape;
  const odd = images.find((im) => im.shape[0] !== h || im.shape[1] !== w);
  if (odd) throw new FsmtlError(`${odd.files![0]}: image is ${odd.shape[0]}×${odd.shape[1]}, but ${names[0]} is ${h}×${w}; all images of a folder must have one size`);
  const size = h * w * c;
  const x = new Float32Array(images.length * size);
  images.forEach((im, i) => x.set(im.x, i * size));
  return { x, n: images.length, shape: [h, w, c], format: images[0].format, files: names, resized: images.reduce((a, im) => a + (im.resized ?? 0), 0) };
}

/** Errors unless the images have the shape the model was trained on. */
export function checkInputShape(batch: ImageBatch, expected: [number, number, number], name: string): void {
  const [h, w, c] = batch.shape;
  if (h !== expected[0] || w !== expected[1] || c !== expected[2]) {
    throw new FsmtlError(`${name}: images are ${h}×${w}×${c} (H×W×C) but the model expects ${expected.join('×')}`);
  }
}

/**
 * Reads input images from a file (IDX, .npy, .npz, PNG or JPEG) or from a folder of PNG/JPEG images.
 * With `fit` (the model's input shape), image files are decoded to its channels and size (see
 * imageFile); arrays are taken as they are and must already have the model's shape.
 */
export function readImages(path: string, fit?: [number, number, number]): ImageBatch {
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    // readBytes below reports the missing file
  }
  if (isFolder) return readPngFolder(path, fit);
  const bytes = readBytes(path, 'input images');
  return isJpeg(bytes) || IMAGE_FILE.test(path) ? imageFile(bytes, path, fit) : imagesFromBytes(bytes, path);
}
