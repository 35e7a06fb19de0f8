// cityscapes and nyuv2: dense-prediction benchmarks from a user's copy of the preprocessed data of MTAN
// (Liu et al., CVPR 2019) and LibMTL, which may not be redistributed (fsmtl ships no images). Layout:
//   DIR/{train,val}/image/<i>.npy   H×W×3 floats in [0, 1]
//   DIR/{train,val}/<labels>/<i>.npy   H×W class indices, −1 = ignored pixel
//       cityscapes: label_7/ (7 classes) or label_19/ (19 classes); nyuv2: label/ (13 classes)
//   DIR/{train,val}/depth/<i>.npy   H×W or H×W×1 depths, 0 = no depth (invalid pixel)
//   nyuv2 also DIR/{train,val}/normal/<i>.npy (H×W×3): surface normals are not read (no normals task yet).
// Cityscapes is 128×256, NYUv2 288×384 (checked: every file must have its split's first image's size).
// Files are numbered 0 … n−1 as MTAN writes them. The val split is the test split, as in MTAN and LibMTL;
// fsmtl's validation examples are carved from train (src/data/validation.ts).
import { existsSync, readdirSync } from '../util/fs.js';
import { join } from 'pathe';
import { readBytes } from '../io/files.js';
import { FsmtlError } from '../util/errors.js';
import { parseNpy } from './npy.js';
import { checkCount, checkInteger } from './select.js';
import type { Benchmark, Split } from './types.js';

export interface DenseNpyOptions {
  /** The folder holding train/ and val/ (required: this data cannot ship with fsmtl). */
  dataDir?: string;
  seed: number;
  /** Use at most this many images of each split, the first ones (default: all). */
  trainSize?: number;
  testSize?: number;
  /** cityscapes only: 7 or 19 classes (default 7, the paper's and MTAN's setting). */
  classes?: number;
}

interface DenseSplit {
  n: number;
  height: number;
  width: number;
  x: Float32Array;
  labels: Float32Array;
  depth: Float32Array;
}

/** Numeric .npy names in a folder, checked to be 0 … n−1. */
function indices(dir: string): number[] {
  if (!existsSync(dir)) throw new FsmtlError(`${dir}: folder not found`);
  const names = readdirSync(dir).filter((f) => f.endsWith('.npy'));
  const idx = names.map((f) => Number(f.slice(0, -4))).filter((i) => Number.isInteger(i) && i >= 0).sort((a, b) => a - b);
  if (!idx.length) throw new FsmtlError(`${dir}: no <i>.npy files`);
  idx.forEach((v, k) => {
    if (v !== k) throw new FsmtlError(`${dir}: files must be numbered 0 … ${idx.length - 1} as MTAN writes them; ${k}.npy is missing`);
  });
  return idx;
}

/** One .npy as float32, its shape checked against `shapes` (any of them). */
function readArray(path: string, shapes: number[][], what: string): Float32Array {
  const a = parseNpy(readBytes(path, what), path);
  if (!shapes.some((s) => s.length === a.shape.length && s.every((d, i) => d === a.shape[i]))) {
    throw new FsmtlError(`${path}: ${what} of shape (${a.shape.join(', ')}), expected (${shapes[0].join(', ')})`);
  }
  if (a.dtype === 'int64' || a.dtype === 'uint64') return Float32Array.from(a.data as BigInt64Array, (v) => Number(v));
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);
}

function readSplit(dir: string, labelDir: string, limit: number | undefined, dataset: string): DenseSplit {
  for (const f of ['image', labelDir, 'depth']) {
    if (!existsSync(join(dir, f))) throw new FsmtlError(`${dataset}: ${join(dir, f)} not found (expected the preprocessed layout of MTAN/LibMTL: image/, ${labelDir}/, depth/)`);
  }
  const all = indices(join(dir, 'image'));
  for (const f of [labelDir, 'depth']) {
    const k = indices(join(dir, f)).length;
    if (k !== all.length) throw new FsmtlError(`${dataset}: ${join(dir, f)} has ${k} files, ${join(dir, 'image')} has ${all.length}`);
  }
  // At most `limit` (a config's default sizes exceed the smaller splits; the provenance gives the count).
  const n = limit === undefined ? all.length : Math.min(all.length, checkCount(limit, 'size', Infinity, ''));
  const first = parseNpy(readBytes(join(dir, 'image', '0.npy'), 'image'), join(dir, 'image', '0.npy'));
  if (first.shape.length !== 3 || first.shape[2] !== 3) throw new FsmtlError(`${join(dir, 'image', '0.npy')}: image of shape (${first.shape.join(', ')}), expected (height, width, 3)`);
  const [height, width] = first.shape;
  const px = height * width;
  const s: DenseSplit = { n, height, width, x: new Float32Array(n * px * 3), labels: new Float32Array(n * px), depth: new Float32Array(n * px) };
  for (let i = 0; i < n; i++) {
    s.x.set(readArray(join(dir, 'image', `${i}.npy`), [[height, width, 3]], 'image'), i * px * 3);
    s.labels.set(readArray(join(dir, labelDir, `${i}.npy`), [[height, width], [height, width, 1]], 'label map'), i * px);
    s.depth.set(readArray(join(dir, 'depth', `${i}.npy`), [[height, width], [height, width, 1]], 'depth map'), i * px);
  }
  return s;
}

function build(name: 'cityscapes' | 'nyuv2', opts: DenseNpyOptions, labelDir: string, classes: number, unit: string | undefined, describe: string): Benchmark {
  const seed = checkInteger(opts.seed, 'seed');
  if (!opts.dataDir) throw new FsmtlError(`${name}: give the folder of your preprocessed copy with --data-dir (it holds train/ and val/); it cannot ship with fsmtl`);
  const train = readSplit(join(opts.dataDir, 'train'), labelDir, opts.trainSize, name);
  const test = readSplit(join(opts.dataDir, 'val'), labelDir, opts.testSize, name);
  if (train.height !== test.height || train.width !== test.width) {
    throw new FsmtlError(`${name}: train images are ${train.height}×${train.width}, val images ${test.height}×${test.width}`);
  }
  const grid = { height: train.height, width: train.width };
  const split = (s: DenseSplit, y: Float32Array): Split => ({ x: s.x, y, n: s.n });
  const invalid = (s: DenseSplit) => (100 * s.depth.reduce((a, d) => a + (d === 0 ? 1 : 0), 0)) / s.depth.length;
  const ignored = (s: DenseSplit) => (100 * s.labels.reduce((a, c) => a + (c === -1 ? 1 : 0), 0)) / s.labels.length;
  return {
    name,
    kind: 'homogeneous',
    inputShape: [train.height, train.width, 3],
    tasks: [
      { name: 'segment', spec: { kind: 'segmentation', classes, ...grid, ignore: -1 }, train: split(train, train.labels), test: split(test, test.labels) },
      { name: 'depth', spec: { kind: 'depth', ...grid, invalid: 0, ...(unit ? { unit } : {}) }, train: split(train, train.depth), test: split(test, test.depth) },
    ],
    provenance: [
      `${name}: ${describe} from ${opts.dataDir} (MTAN/LibMTL preprocessed layout), ${train.height}×${train.width} RGB in [0, 1]; ` +
        `tasks segment (${classes} classes from ${labelDir}/, −1 ignored) and depth (0 = invalid)`,
      `train: ${train.n} images (${ignored(train).toFixed(1)}% of pixels unlabelled, ${invalid(train).toFixed(1)}% without depth); ` +
        `test: the val split, ${test.n} images (${ignored(test).toFixed(1)}% unlabelled, ${invalid(test).toFixed(1)}% without depth)`,
      `the run seed (${seed}) does not affect the data`,
    ],
  };
}

export function buildCityscapes(opts: DenseNpyOptions): Benchmark {
  const classes = opts.classes ?? 7;
  if (classes !== 7 && classes !== 19) throw new FsmtlError(`cityscapes: classes must be 7 or 19 (label_7/ or label_19/), got ${classes}`);
  return build('cityscapes', opts, `label_${classes}`, classes, undefined, `Cityscapes (Cordts et al., 2016), ${classes}-class labels`);
}

export function buildNyuv2(opts: DenseNpyOptions): Benchmark {
  return build('nyuv2', { ...opts, classes: undefined }, 'label', 13, 'm', 'NYUv2 (Silberman et al., 2012), 13-class labels');
}
