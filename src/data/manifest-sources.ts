// The files a data manifest names, read with fsmtl's readers: inputs as float32 rows (CSV columns,
// .npy/.npz/IDX arrays, or an image folder with a CSV index) and label columns (CSV columns or array
// values). Paths are relative to the manifest's folder.
import { isAbsolute, join, relative } from 'pathe';
import { FsmtlError } from '../util/errors.js';
import { readBytes } from './cache.js';
import { parseDecimal, readCsvFile, type CsvTable } from './csv.js';
import { readIdxFile } from './idx.js';
import { resizeBilinear, type FloatImage } from './image.js';
import { parseJpeg } from './jpeg.js';
import type { LabelColumn } from './manifest-labels.js';
import { npzArray, readNpyFile, readNpzFile, type NpyArray } from './npy.js';
import { pngPixels } from '../io/predict-input.js';

/** One file (or image folder) of inputs, as the manifest gives it. */
export interface InputFile {
  csv?: string;
  npy?: string;
  npz?: string;
  idx?: string;
  images?: string;
  columns?: string[];
  exclude?: string[];
  delimiter?: string;
  key?: string;
  index?: string;
  fileColumn?: string;
  size?: [number, number];
  channels?: 1 | 3;
}

/** One file of labels, as the manifest gives it. */
export interface LabelFile {
  csv?: string;
  npy?: string;
  npz?: string;
  idx?: string;
  key?: string;
  delimiter?: string;
}

export interface LoadedInputs {
  /** The file errors name (the CSV, the array file, or the image index). */
  file: string;
  x: Float32Array;
  n: number;
  shape: [number, number, number];
  /** The CSV whose other columns can be targets (CSV inputs, or an image folder's index). */
  table?: CsvTable;
  /** The input columns of CSV inputs, in feature order. */
  columns?: string[];
  /** For provenance, e.g. "plants.csv, columns height, width (2 features)". */
  describe: string;
}

/** A manifest path: relative to the manifest's folder (absolute paths as they are). */
export function manifestPath(dir: string, p: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}

/** An array as numbers (64-bit integers through Number, exact up to 2^53). */
function numbers(a: NpyArray): ArrayLike<number> {
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) return Array.from(a.data, Number);
  return a.data as ArrayLike<number>;
}

function readArray(src: { npy?: string; npz?: string; idx?: string; key?: string }, dir: string): { arr: NpyArray; file: string } {
  if (src.npy !== undefined) {
    const file = manifestPath(dir, src.npy);
    return { arr: readNpyFile(file), file };
  }
  if (src.idx !== undefined) {
    const file = manifestPath(dir, src.idx);
    const a = readIdxFile(file);
    return { arr: { shape: a.dims, dtype: 'uint8', descr: '|u1', data: a.data }, file };
  }
  const file = manifestPath(dir, src.npz!);
  const npz = readNpzFile(file);
  const keys = Object.keys(npz);
  if (src.key === undefined && keys.length !== 1) {
    throw new FsmtlError(`${file}: the .npz holds ${keys.length} arrays (${keys.join(', ') || 'none'}): say which with "key"`);
  }
  const key = src.key ?? keys[0];
  return { arr: npzArray(npz, key, file), file: `${file}[${key}]` };
}

const SHAPE_HELP = 'expected [N, D] (feature vectors), [N, H, W] (grey images) or [N, H, W, C]';

/** Input arrays: uint8 scaled by 1/255 (pixels), other types as they are; every value must be finite. */
function arrayInputs(src: InputFile, dir: string, users: string): LoadedInputs {
  const { arr, file } = readArray(src, dir);
  const dims = arr.shape;
  if (dims.length < 2 || dims.length > 4) throw new FsmtlError(`${file} (${users}): inputs of shape [${dims.join(', ')}]: ${SHAPE_HELP}`);
  const n = dims[0];
  const shape: [number, number, number] = dims.length === 2 ? [1, 1, dims[1]] : [dims[1], dims[2], dims[3] ?? 1];
  const per = shape[0] * shape[1] * shape[2];
  const src8 = arr.dtype === 'uint8';
  const data = numbers(arr);
  const x = new Float32Array(n * per);
  for (let i = 0; i < x.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      const at = `${dims.length === 2 ? 'column' : 'element'} ${(i % per) + 1}`;
      throw new FsmtlError(`${file}: row ${Math.floor(i / per) + 1}, ${at} (${users}): ${v}: inputs must be finite numbers (only labels may be missing)`);
    }
    x[i] = src8 ? v / 255 : v;
  }
  const scaled = src8 ? ', uint8 scaled by 1/255' : '';
  return { file, x, n, shape, describe: `${relative(dir, file)} (${arr.dtype} [${dims.join(', ')}]${scaled})` };
}

/** CSV inputs: the listed columns, or every column that is neither a target nor excluded. */
function csvInputs(src: InputFile, dir: string, targets: Map<string, string>, users: string, columnsOf?: string[]): LoadedInputs {
  const file = manifestPath(dir, src.csv!);
  const table = readCsvFile(file, { delimiter: src.delimiter });
  const real = `columns: ${table.columns.join(', ')}`;
  const has = (c: string) => table.columns.includes(c);
  let cols: string[];
  if (columnsOf ?? src.columns) {
    cols = columnsOf ?? src.columns!;
    for (const c of cols) {
      if (!has(c)) throw new FsmtlError(`${file} (${users}): no input column '${c}' (${real})`);
      const t = targets.get(c);
      if (t !== undefined) throw new FsmtlError(`${file}: column '${c}' is both an input column and the target of task '${t}'`);
    }
  } else {
    for (const c of src.exclude ?? []) if (!has(c)) throw new FsmtlError(`${file} (${users}): no column '${c}' to exclude (${real})`);
    cols = table.columns.filter((c) => !targets.has(c) && !(src.exclude ?? []).includes(c));
    if (cols.length === 0) throw new FsmtlError(`${file} (${users}): no input columns left once targets and excluded columns are taken out (${real})`);
  }
  const D = cols.length;
  const n = table.rows;
  const x = new Float32Array(n * D);
  cols.forEach((c, j) => {
    const cells = table.column(c);
    for (let i = 0; i < n; i++) {
      const v = parseDecimal(cells[i]);
      if (Number.isNaN(v)) {
        const why = cells[i].trim() === '' ? 'empty cell: inputs cannot be missing (only labels can)' : `${JSON.stringify(cells[i])} is not a number`;
        throw new FsmtlError(`${file}: line ${table.line(i)}, column '${c}' (${users}): ${why}`);
      }
      x[i * D + j] = v;
    }
  });
  return { file, x, n, shape: [1, 1, D], table, columns: cols, describe: `${relative(dir, file)}, columns ${cols.join(', ')} (${D} features)` };
}

/** Decodes a JPEG or PNG by its first bytes. */
function decodeImage(path: string, channels: 1 | 3, listed: string): FloatImage {
  let bytes: Uint8Array;
  try {
    bytes = readBytes(path);
  } catch (e) {
    throw new FsmtlError(`${(e as Error).message} (listed in ${listed})`);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return parseJpeg(bytes, path, { channels });
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return pngPixels(bytes, path, channels);
  throw new FsmtlError(`${path}: not a JPEG or PNG image (listed in ${listed})`);
}

/** An image folder: the files a CSV index lists, decoded, resized to `size` when given, in index order. */
function imageInputs(src: InputFile, dir: string, users: string): LoadedInputs {
  const folder = manifestPath(dir, src.images!);
  const indexFile = manifestPath(dir, src.index!);
  const table = readCsvFile(indexFile, { delimiter: src.delimiter });
  const fileColumn = src.fileColumn ?? 'file';
  if (!table.columns.includes(fileColumn)) {
    throw new FsmtlError(`${indexFile} (${users}): no column '${fileColumn}' naming the image files (columns: ${table.columns.join(', ')}); set "fileColumn"`);
  }
  const files = table.column(fileColumn);
  const n = table.rows;
  if (n === 0) throw new FsmtlError(`${indexFile} (${users}): the index lists no images`);
  const channels = src.channels ?? 3;
  const listed = (i: number) => `${indexFile} line ${table.line(i)}`;
  const image = (i: number) => {
    if (files[i].trim() === '') throw new FsmtlError(`${indexFile}: line ${table.line(i)}, column '${fileColumn}' (${users}): empty cell, expected an image file`);
    return decodeImage(manifestPath(folder, files[i].trim()), channels, listed(i));
  };
  let first: FloatImage | undefined;
  let [H, W] = src.size ?? [0, 0];
  if (!src.size) {
    first = image(0);
    [H, W] = [first.height, first.width];
  }
  const per = H * W * channels;
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const img = i === 0 && first ? first : image(i);
    if (src.size) {
      resizeBilinear(img.data, img.height, img.width, x, i * per, H, W, 1, { channels, antialias: true });
    } else if (img.height !== H || img.width !== W) {
      throw new FsmtlError(`${manifestPath(folder, files[i].trim())}: image is ${img.height}×${img.width}, the first (${files[0].trim()}) is ${H}×${W} (listed in ${listed(i)}); give "size" to resize every image`);
    } else x.set(img.data, i * per);
  }
  const sized = src.size ? `resized to ${H}×${W}` : `${H}×${W}`;
  const colour = channels === 3 ? 'RGB' : 'grey';
  return { file: indexFile, x, n, shape: [H, W, channels], table, describe: `${n} images of ${src.images} listed in ${src.index} (${sized}, ${colour})` };
}

/**
 * Reads one input file. `targets` maps the columns that tasks take as targets from this file to the
 * task, `users` names the tasks using the inputs (for errors), `columnsOf` fixes the input columns
 * (those of the train file, so that every part has the same features in the same order).
 */
export function loadInputFile(src: InputFile, dir: string, targets: Map<string, string>, users: string, columnsOf?: string[]): LoadedInputs {
  if (src.csv !== undefined) return csvInputs(src, dir, targets, users, columnsOf);
  if (src.images !== undefined) return imageInputs(src, dir, users);
  return arrayInputs(src, dir, users);
}

/** Target columns of a CSV (inputs, image index or labels file); an unknown name lists the real ones. */
export function tableColumns(table: CsvTable, names: string[], task: string): LabelColumn[] {
  return names.map((c) => {
    if (!table.columns.includes(c)) throw new FsmtlError(`${table.name} (task '${task}'): no column '${c}' (columns: ${table.columns.join(', ')})`);
    const cells = table.column(c);
    return { file: table.name, column: c, n: table.rows, value: (i) => cells[i], where: (i) => `line ${table.line(i)}, column '${c}'` };
  });
}

/** A labels file's columns: a CSV's target columns, or an array of shape [N], [N, 1] or (regression) [N, D]. */
/**
 * A label file's columns. `layout`: 'one' label per example ([N] or [N, 1]), regression 'targets'
 * ([N] or [N, D], a column per target), or a per-pixel 'grid' ([N, H, W] or [N, H, W, 1], a column
 * per pixel, row-major), whose size comes back as `grid`.
 */
export function loadLabelFile(
  src: LabelFile,
  dir: string,
  task: string,
  targets: string[] | undefined,
  layout: 'one' | 'targets' | 'grid',
): { file: string; columns: LabelColumn[]; grid?: { height: number; width: number } } {
  if (src.csv !== undefined) {
    const table = readCsvFile(manifestPath(dir, src.csv), { delimiter: src.delimiter });
    return { file: table.name, columns: tableColumns(table, targets ?? [], task) };
  }
  const { arr, file } = readArray(src, dir);
  const dims = arr.shape;
  const data = numbers(arr);
  const n = dims[0];
  if (layout === 'grid') {
    if ((dims.length !== 3 && !(dims.length === 4 && dims[3] === 1)) || dims[1] === 0 || dims[2] === 0) {
      throw new FsmtlError(`${file} (task '${task}'): labels of shape [${dims.join(', ')}], expected [N, H, W]: one map per example`);
    }
    const [height, width] = [dims[1], dims[2]];
    const P = height * width;
    const columns = Array.from({ length: P }, (_, q): LabelColumn => ({
      file,
      n,
      value: (i) => data[i * P + q],
      where: (i) => `row ${i + 1}, pixel (y ${Math.floor(q / width) + 1}, x ${(q % width) + 1})`,
    }));
    return { file, columns, grid: { height, width } };
  }
  const D = dims.length === 2 ? dims[1] : 1;
  if (dims.length < 1 || dims.length > 2 || (D !== 1 && layout !== 'targets') || D === 0) {
    const expected = layout === 'targets' ? '[N] or [N, targets]' : '[N] or [N, 1]';
    throw new FsmtlError(`${file} (task '${task}'): labels of shape [${dims.join(', ')}], expected ${expected}`);
  }
  const columns = Array.from({ length: D }, (_, d): LabelColumn => ({
    file,
    n,
    value: (i) => data[i * D + d],
    where: (i) => (D > 1 ? `row ${i + 1}, target ${d + 1}` : `row ${i + 1}`),
  }));
  return { file, columns };
}
