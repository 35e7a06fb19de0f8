// Where the datasets are, and loaders for MNIST, Fashion-MNIST and Kuzushiji-MNIST (KMNIST).
// Loaders return raw uint8 images and validated labels; benchmarks (hetero3, multimnist) build on them.
import { cwd, env as getEnv, statSync } from '../util/fs.js';
import { dirname, join, resolve } from 'pathe';
import { FsmtlError } from '../util/errors.js';
import { expectIdxDims, readIdxFile } from './idx.js';
import { checkCounts, validateLabels } from './labels.js';
import { npzArray, readNpzFile } from './npy.js';

/** One split of an image dataset, as stored: uint8 pixels. Arrays may be shared with the decode cache: do not modify. */
export interface ImageSet {
  /** n × height × width uint8 pixels, row-major. */
  images: Uint8Array;
  /** n labels in [0, numClasses). */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  imagesFile: string;
  labelsFile: string;
}

export interface RawDataset {
  /** Display name, e.g. 'MNIST'. */
  name: string;
  numClasses: number;
  /** The data directory it was loaded from. */
  dir: string;
  train?: ImageSet;
  test: ImageSet;
}

export type TrainTestDataset = RawDataset & { train: ImageSet };

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The data directory: `dir` if given; else the environment variable FSMTL_DATA; else the first
 * `shared/data` folder found walking up from the working directory (which also finds `../shared/data`
 * next to a repository), then walking up from this package's own location.
 */
export function resolveDataDir(dir?: string): string {
  if (dir !== undefined && dir !== '') {
    const abs = resolve(dir);
    if (!isDir(abs)) throw new FsmtlError(`data directory ${dir} not found (or not a directory)`);
    return abs;
  }
  const env = getEnv('FSMTL_DATA');
  if (env !== undefined && env !== '') {
    const abs = resolve(env);
    if (!isDir(abs)) throw new FsmtlError(`data directory FSMTL_DATA=${env} not found (or not a directory)`);
    return abs;
  }
  const tried = new Set<string>();
  // This package's own location, when it is a file (not when bundled into a page).
  const here = import.meta.url.startsWith('file:') ? [dirname(decodeURIComponent(new URL(import.meta.url).pathname))] : [];
  const starts = [cwd(), ...here];
  for (const start of starts) {
    let d = resolve(start);
    for (;;) {
      for (const cand of [join(d, 'shared', 'data'), resolve(d, '..', 'shared', 'data')]) {
        if (tried.has(cand)) continue;
        tried.add(cand);
        if (isDir(cand)) return cand;
      }
      const parent = dirname(d);
      if (parent === d) break;
      d = parent;
    }
  }
  throw new FsmtlError(
    `no data directory found: FSMTL_DATA is not set and there is no shared/data folder above ${cwd()} ` +
      `(looked in ${[...tried].join(', ')}); pass a data directory or set FSMTL_DATA`,
  );
}

type Format = 'idx' | 'npz';

interface Form {
  format: Format;
  images: string[];
  labels: string[];
}

interface SplitSpec {
  dataset: string;
  split: 'train' | 'test';
  /** Sub-folders of the data directory tried first, in order. */
  folders: string[];
  /** Forms accepted inside those folders. */
  folderForms: Form[];
  /** Forms accepted directly in the data directory. */
  rootForms: Form[];
}

function idxForm(prefix: 'train' | 't10k'): Form {
  const names = (kind: 'images' | 'labels', d: number) => [
    `${prefix}-${kind}-idx${d}-ubyte.gz`,
    `${prefix}-${kind}-idx${d}-ubyte`,
    `${prefix}-${kind}.idx${d}-ubyte.gz`,
    `${prefix}-${kind}.idx${d}-ubyte`,
  ];
  return { format: 'idx', images: names('images', 3), labels: names('labels', 1) };
}

const MNIST_FOLDERS = ['mnist', 'MNIST', 'MNIST/raw'];
const FASHION_FOLDERS = ['fashion-mnist', 'fashion_mnist', 'FashionMNIST', 'FashionMNIST/raw', 'fashion'];
const KMNIST_FOLDERS = ['kmnist', 'KMNIST', 'KMNIST/raw'];

function idxSpec(dataset: string, folders: string[], split: 'train' | 'test'): SplitSpec {
  const form = idxForm(split === 'train' ? 'train' : 't10k');
  return { dataset, split, folders, folderForms: [form], rootForms: [form] };
}

const KMNIST_NPZ: Form = { format: 'npz', images: ['kmnist-test-imgs.npz'], labels: ['kmnist-test-labels.npz'] };
// The IDX names of KMNIST equal MNIST's, so they are only accepted inside a kmnist folder.
const KMNIST_TEST: SplitSpec = {
  dataset: 'KMNIST',
  split: 'test',
  folders: KMNIST_FOLDERS,
  folderForms: [KMNIST_NPZ, idxForm('t10k')],
  rootForms: [KMNIST_NPZ],
};

interface Located {
  format: Format;
  imagesFile: string;
  labelsFile: string;
}

function locate(spec: SplitSpec, dir: string): Located {
  const candidates: { dir: string; form: Form }[] = [];
  for (const f of spec.folders) for (const form of spec.folderForms) candidates.push({ dir: join(dir, f), form });
  for (const form of spec.rootForms) candidates.push({ dir, form });
  for (const c of candidates) {
    const img = c.form.images.map((n) => join(c.dir, n)).find(isFile);
    if (!img) continue;
    const lab = c.form.labels.map((n) => join(c.dir, n)).find(isFile);
    if (!lab) {
      throw new FsmtlError(
        `${spec.dataset} ${spec.split} split: found images ${img} but no labels file next to it (expected ${c.form.labels.join(' or ')} in ${c.dir})`,
      );
    }
    return { format: c.form.format, imagesFile: img, labelsFile: lab };
  }
  const forms = [...new Set([...spec.folderForms, ...spec.rootForms])]
    .map((f) => `${f.images[0]} + ${f.labels[0]}`)
    .join(', or ');
  throw new FsmtlError(
    `${spec.dataset} ${spec.split} split not found in data directory ${dir}: expected ${forms} ` +
      `(uncompressed names without .gz also accepted) in ${spec.folders.map((f) => join(dir, f)).join(', ')} or ${dir} itself`,
  );
}

function loadIdxPair(loc: Located, numClasses: number): ImageSet {
  const img = readIdxFile(loc.imagesFile);
  expectIdxDims(img, 3, loc.imagesFile, 'images');
  const lab = readIdxFile(loc.labelsFile);
  expectIdxDims(lab, 1, loc.labelsFile, 'labels');
  const [n, height, width] = img.dims;
  checkCounts(n, lab.dims[0], loc.imagesFile, loc.labelsFile);
  return {
    images: img.data,
    labels: validateLabels(lab.data, numClasses, loc.labelsFile),
    n,
    height,
    width,
    imagesFile: loc.imagesFile,
    labelsFile: loc.labelsFile,
  };
}

function loadNpzPair(loc: Located, numClasses: number): ImageSet {
  const imgName = `${loc.imagesFile}[arr_0]`;
  const labName = `${loc.labelsFile}[arr_0]`;
  const img = npzArray(readNpzFile(loc.imagesFile), 'arr_0', loc.imagesFile);
  if (img.shape.length !== 3 || img.dtype !== 'uint8') {
    throw new FsmtlError(`${imgName}: expected uint8 images of shape (n, height, width), got ${img.dtype} (${img.shape.join(', ')})`);
  }
  const lab = npzArray(readNpzFile(loc.labelsFile), 'arr_0', loc.labelsFile);
  if (lab.shape.length !== 1 || !/int/.test(lab.dtype)) {
    throw new FsmtlError(`${labName}: expected integer labels of shape (n,), got ${lab.dtype} (${lab.shape.join(', ')})`);
  }
  const [n, height, width] = img.shape;
  checkCounts(n, lab.shape[0], imgName, labName);
  return {
    images: img.data as Uint8Array,
    labels: validateLabels(lab.data as ArrayLike<number | bigint>, numClasses, labName),
    n,
    height,
    width,
    imagesFile: loc.imagesFile,
    labelsFile: loc.labelsFile,
  };
}

function loadSplit(spec: SplitSpec, dir: string, numClasses: number): ImageSet {
  const loc = locate(spec, dir);
  return loc.format === 'idx' ? loadIdxPair(loc, numClasses) : loadNpzPair(loc, numClasses);
}

function loadTrainTest(name: string, folders: string[], dir?: string): TrainTestDataset {
  const d = resolveDataDir(dir);
  return {
    name,
    numClasses: 10,
    dir: d,
    train: loadSplit(idxSpec(name, folders, 'train'), d, 10),
    test: loadSplit(idxSpec(name, folders, 'test'), d, 10),
  };
}

/** MNIST, official train (60k) and test (10k) splits, from IDX files (gzip or raw). */
export function loadMnist(dir?: string): TrainTestDataset {
  return loadTrainTest('MNIST', MNIST_FOLDERS, dir);
}

/** Fashion-MNIST, official train (60k) and test (10k) splits, from IDX files (gzip or raw). */
export function loadFashionMnist(dir?: string): TrainTestDataset {
  return loadTrainTest('Fashion-MNIST', FASHION_FOLDERS, dir);
}

/**
 * Kuzushiji-MNIST, test split only (10k): kmnist-test-imgs.npz + kmnist-test-labels.npz (key arr_0),
 * or t10k-images-idx3-ubyte(.gz) + t10k-labels-idx1-ubyte(.gz) inside a kmnist folder.
 */
export function loadKmnist(dir?: string): RawDataset {
  const d = resolveDataDir(dir);
  return { name: 'KMNIST', numClasses: 10, dir: d, test: loadSplit(KMNIST_TEST, d, 10) };
}
