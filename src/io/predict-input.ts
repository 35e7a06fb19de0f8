// Images to predict on, from an IDX file (raw or gzip), a .npy file (or a one-array .npz), or PNG files:
// uint8 pixels 0–255 (scaled by 1/255, as the benchmarks do) or float32/float64 values in [0, 1];
// shape [N, H, W] (one channel) or [N, H, W, C]. Pure functions on bytes, plus file helpers.
import { isGzip, parseIdx, type IdxArray } from '../data/idx.js';
import { parseNpy, parseNpz, type NpyArray } from '../data/npy.js';
import { FsmtlError } from '../util/errors.js';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { readBytes } from './files.js';

export interface ImageBatch {
  /** n × H × W × C values in [0, 1], row-major. */
  x: Float32Array;
  n: number;
  /** One image's shape, [H, W, C]. */
  shape: [number, number, number];
  format: 'idx' | 'npy' | 'npz' | 'png';
  /** Source file of each image, when the images came from image files. */
  files?: string[];
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

/**
 * One PNG image as a single grey channel: luminance 0.299·R + 0.587·G + 0.114·B, composited over black
 * where transparent (MNIST-style data is light strokes on black).
 */
export function imagesFromPng(bytes: Uint8Array, name: string): ImageBatch {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new FsmtlError(`${name}: not a readable PNG image (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const [r, g, b, a] = [data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]];
    grey[i] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * a) / 255);
  }
  return { x: fromUint8(grey), n: 1, shape: [height, width, 1], format: 'png', files: [name] };
}

/** Every *.png file of a folder, in file-name order, as one batch; all must have the same size. */
export function readPngFolder(dir: string): ImageBatch {
  const names = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.png'))
    .sort();
  if (names.length === 0) throw new FsmtlError(`${dir}: the folder holds no .png images`);
  const images = names.map((f) => imagesFromPng(readBytes(join(dir, f), 'input image'), join(dir, f)));
  const [h, w] = images[0].shape;
  const odd = images.find((im) => im.shape[0] !== h || im.shape[1] !== w);
  if (odd) throw new FsmtlError(`${odd.files![0]}: image is ${odd.shape[0]}×${odd.shape[1]}, but ${names[0]} is ${h}×${w}; all images of a folder must have one size`);
  const x = new Float32Array(images.length * h * w);
  images.forEach((im, i) => x.set(im.x, i * h * w));
  return { x, n: images.length, shape: [h, w, 1], format: 'png', files: names };
}

/** Errors unless the images have the shape the model was trained on. */
export function checkInputShape(batch: ImageBatch, expected: [number, number, number], name: string): void {
  const [h, w, c] = batch.shape;
  if (h !== expected[0] || w !== expected[1] || c !== expected[2]) {
    throw new FsmtlError(`${name}: images are ${h}×${w}×${c} (H×W×C) but the model expects ${expected.join('×')}`);
  }
}

/** Reads input images from a file (IDX, .npy, .npz or PNG) or from a folder of PNG images. */
export function readImages(path: string): ImageBatch {
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    // readBytes below reports the missing file
  }
  return isFolder ? readPngFolder(path) : imagesFromBytes(readBytes(path, 'input images'), path);
}
