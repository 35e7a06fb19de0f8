// CelebA (Liu et al., ICCV 2015), read from the user's own copy in its official layout; the dataset
// may not be redistributed, so nothing here downloads it:
//   <dir>/img_align_celeba/000001.jpg ... 202599.jpg   aligned and cropped faces, 178 wide × 218 high
//   <dir>/list_attr_celeba.txt      line 1: image count N; line 2: the 40 attribute names;
//                                   then N lines '000001.jpg -1  1  1 -1 ...' (±1, any whitespace)
//   <dir>/list_eval_partition.txt   '000001.jpg 0' per image, 0 = train, 1 = val, 2 = test
// Images: with crop (the default) the central 178×178 square (rows 20 to 197) is kept, as most CelebA
// pipelines do (crop 178 then resize), so that faces keep their aspect ratio; without crop the whole
// image is squeezed to a square. Then a bilinear resize to size×size with antialiasing (PIL-like, so
// shrinking 178 → 64 averages every pixel instead of sampling a few), RGB in [0, 1], HWC.
// Labels: 1 where the attribute is present (+1), 0 where absent (−1), one column per chosen attribute.
import { readdirSync, statSync } from '../util/fs.js';
import { join } from 'pathe';
import { FsmtlError } from '../util/errors.js';
import { readText } from './cache.js';
import { centerSquare, resizeBilinear } from './image.js';
import { readJpegFile } from './jpeg.js';

/** The 40 attributes, in the order of list_attr_celeba.txt. */
export const CELEBA_ATTRIBUTES: readonly string[] = [
  '5_o_Clock_Shadow', 'Arched_Eyebrows', 'Attractive', 'Bags_Under_Eyes', 'Bald', 'Bangs', 'Big_Lips', 'Big_Nose',
  'Black_Hair', 'Blond_Hair', 'Blurry', 'Brown_Hair', 'Bushy_Eyebrows', 'Chubby', 'Double_Chin', 'Eyeglasses',
  'Goatee', 'Gray_Hair', 'Heavy_Makeup', 'High_Cheekbones', 'Male', 'Mouth_Slightly_Open', 'Mustache', 'Narrow_Eyes',
  'No_Beard', 'Oval_Face', 'Pale_Skin', 'Pointy_Nose', 'Receding_Hairline', 'Rosy_Cheeks', 'Sideburns', 'Smiling',
  'Straight_Hair', 'Wavy_Hair', 'Wearing_Earrings', 'Wearing_Hat', 'Wearing_Lipstick', 'Wearing_Necklace',
  'Wearing_Necktie', 'Young',
];

/**
 * Eight tasks for CelebA experiments. The FS-MTL paper's appendix naming its 8 attributes is not
 * available, so this is our choice: attributes common in multi-task CelebA work whose labels are
 * visible in a small face image, from different parts of it: mouth (Smiling, Mouth_Slightly_Open),
 * whole face (Male, Young, Heavy_Makeup), hair (Blond_Hair), accessories (Eyeglasses, Wearing_Hat).
 * Subjective ones are left out (Attractive; High_Cheekbones, Pointy_Nose and Oval_Face, on which two
 * annotators agree about as often as chance: Wu et al., "Consistency and Accuracy of CelebA Attribute
 * Values", 2023). Five are roughly balanced (about 40-50 % positive; Young about 77 %); Blond_Hair
 * (~15 %), Eyeglasses and Wearing_Hat (~5-7 %) are rarer but nearly unambiguous. Mouth_Slightly_Open
 * is a standard balanced task although Wu et al. find about a fifth of its positives mislabelled.
 */
export const DEFAULT_CELEBA_ATTRIBUTES: readonly string[] = [
  'Smiling',
  'Male',
  'Young',
  'Eyeglasses',
  'Wearing_Hat',
  'Blond_Hair',
  'Mouth_Slightly_Open',
  'Heavy_Makeup',
];

export const CELEBA_IMAGE_DIR = 'img_align_celeba';
export const CELEBA_ATTR_FILE = 'list_attr_celeba.txt';
export const CELEBA_PARTITION_FILE = 'list_eval_partition.txt';
export const CELEBA_SPLITS = ['train', 'val', 'test'] as const;
export type CelebASplitName = (typeof CELEBA_SPLITS)[number];

export interface CelebAAttributeList {
  /** Attribute names from line 2, in file order. */
  names: string[];
  /** Image file names, in file order. */
  files: string[];
  /** files.length × names.length values, +1 or −1, row-major. */
  values: Int8Array;
}

export interface CelebAPartitionList {
  /** Image file names, in file order. */
  files: string[];
  /** One per file: 0 = train, 1 = val, 2 = test. */
  partition: Uint8Array;
}

export interface CelebASplit {
  /** n × size × size × 3 RGB values in [0, 1] (HWC). */
  x: Float32Array;
  /** n × attributes.length labels, 1 (present) or 0 (absent), in the order of the chosen attributes. */
  y: Float32Array;
  n: number;
  /** The image file names, in order. */
  files: string[];
}

export interface CelebA {
  /** The chosen attributes, in the order of the columns of y. */
  attributeNames: string[];
  splits: Record<CelebASplitName, CelebASplit>;
}

export interface CelebAOptions {
  /** Attributes to read, as named in list_attr_celeba.txt (e.g. DEFAULT_CELEBA_ATTRIBUTES). */
  attributes: readonly string[];
  /** Side of the square images returned. */
  size: number;
  /** At most this many images per split: the first ones in list_eval_partition.txt order (default all). */
  limit?: Partial<Record<CelebASplitName, number>>;
  /** Keep the central square before resizing (default true); false squeezes the whole image. */
  crop?: boolean;
}

/** The lines of a text (LF, CRLF or CR); blank lines at the end are dropped. */
function lines(text: string): string[] {
  const out = text.split(/\r\n|\r|\n/);
  while (out.length > 0 && out[out.length - 1].trim() === '') out.pop();
  return out;
}

function fields(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Parses list_attr_celeba.txt. `name` (usually the path) prefixes every error message. */
export function parseCelebAAttributes(text: string, name: string): CelebAAttributeList {
  const ls = lines(text);
  if (ls.length < 2) {
    throw new FsmtlError(`${name}: expected the image count on line 1 and the attribute names on line 2, the file has ${ls.length} line(s)`);
  }
  const countText = ls[0].trim();
  if (!/^\d+$/.test(countText)) throw new FsmtlError(`${name}: line 1: expected the number of images, got ${JSON.stringify(ls[0])}`);
  const count = Number(countText);
  const names = fields(ls[1]);
  if (names.length === 0) throw new FsmtlError(`${name}: line 2: expected the attribute names, the line is empty`);
  const seen = new Map<string, number>();
  names.forEach((a, j) => {
    const prev = seen.get(a);
    if (prev !== undefined) throw new FsmtlError(`${name}: line 2: attribute '${a}' appears twice (columns ${prev + 1} and ${j + 1})`);
    seen.set(a, j);
  });
  const A = names.length;
  const rows = ls.length - 2;
  const files: string[] = [];
  const values = new Int8Array(rows * A);
  const fileLine = new Map<string, number>();
  for (let r = 0; r < rows; r++) {
    const ln = r + 3;
    const f = fields(ls[r + 2]);
    if (f.length === 0) throw new FsmtlError(`${name}: line ${ln} is empty`);
    if (f.length !== A + 1) {
      throw new FsmtlError(`${name}: line ${ln}: ${f[0]} has ${f.length - 1} values, expected ${A} (one per attribute on line 2)`);
    }
    const prev = fileLine.get(f[0]);
    if (prev !== undefined) throw new FsmtlError(`${name}: line ${ln}: ${f[0]} is listed twice (also on line ${prev})`);
    fileLine.set(f[0], ln);
    files.push(f[0]);
    for (let j = 0; j < A; j++) {
      const v = f[j + 1];
      if (v === '1') values[r * A + j] = 1;
      else if (v === '-1') values[r * A + j] = -1;
      else throw new FsmtlError(`${name}: line ${ln}: ${f[0]}: ${names[j]} is ${JSON.stringify(v)}, expected 1 or -1`);
    }
  }
  if (rows !== count) throw new FsmtlError(`${name}: line 1 says ${count} images, but ${rows} image lines follow`);
  return { names, files, values };
}

/** Parses list_eval_partition.txt. `name` (usually the path) prefixes every error message. */
export function parseCelebAPartition(text: string, name: string): CelebAPartitionList {
  const ls = lines(text);
  if (ls.length === 0) throw new FsmtlError(`${name}: empty file, expected lines '<image> <0|1|2>'`);
  const files: string[] = [];
  const partition = new Uint8Array(ls.length);
  const fileLine = new Map<string, number>();
  ls.forEach((l, i) => {
    const ln = i + 1;
    const f = fields(l);
    if (f.length === 0) throw new FsmtlError(`${name}: line ${ln} is empty`);
    if (f.length !== 2) throw new FsmtlError(`${name}: line ${ln}: expected '<image> <0|1|2>', got ${JSON.stringify(l.trim())}`);
    const prev = fileLine.get(f[0]);
    if (prev !== undefined) throw new FsmtlError(`${name}: line ${ln}: ${f[0]} is listed twice (also on line ${prev})`);
    fileLine.set(f[0], ln);
    if (f[1] !== '0' && f[1] !== '1' && f[1] !== '2') {
      throw new FsmtlError(`${name}: line ${ln}: ${f[0]}: partition ${JSON.stringify(f[1])}, expected 0 (train), 1 (val) or 2 (test)`);
    }
    files.push(f[0]);
    partition[i] = Number(f[1]);
  });
  return { files, partition };
}

/** A short list of examples for messages: 'a, b, c and 7 more'. */
function examples(items: string[], k = 3): string {
  const head = items.slice(0, k).join(', ');
  return items.length > k ? `${head} and ${items.length - k} more` : head;
}

function checkOptions(opts: CelebAOptions): void {
  if (!Array.isArray(opts.attributes) || opts.attributes.length === 0) {
    throw new FsmtlError(`CelebA: attributes must be a non-empty list of attribute names (e.g. ${DEFAULT_CELEBA_ATTRIBUTES.join(', ')})`);
  }
  const seen = new Set<string>();
  for (const a of opts.attributes) {
    if (seen.has(a)) throw new FsmtlError(`CelebA: attribute '${a}' is chosen twice`);
    seen.add(a);
  }
  if (!Number.isInteger(opts.size) || opts.size < 1 || opts.size > 1024) {
    throw new FsmtlError(`CelebA: size must be an integer from 1 to 1024, got ${String(opts.size)}`);
  }
  for (const [k, v] of Object.entries(opts.limit ?? {})) {
    if (!(CELEBA_SPLITS as readonly string[]).includes(k)) throw new FsmtlError(`CelebA: limit has no split '${k}' (splits: ${CELEBA_SPLITS.join(', ')})`);
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
      throw new FsmtlError(`CelebA: limit.${k} must be a non-negative integer, got ${String(v)}`);
    }
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads the chosen attributes and the images of a CelebA copy in its official layout (see the top of
 * this file). Every split keeps list_eval_partition.txt order; limits take the first images of each.
 * Checks the lists against each other and against the image folder before decoding anything.
 */
export function readCelebA(dir: string, opts: CelebAOptions): CelebA {
  checkOptions(opts);
  if (!isDir(dir)) throw new FsmtlError(`CelebA directory ${dir} not found (or not a directory)`);
  const layout = `expected CelebA's official layout: ${CELEBA_IMAGE_DIR}/, ${CELEBA_ATTR_FILE}, ${CELEBA_PARTITION_FILE}`;
  const attrPath = join(dir, CELEBA_ATTR_FILE);
  const partPath = join(dir, CELEBA_PARTITION_FILE);
  const imgDir = join(dir, CELEBA_IMAGE_DIR);
  for (const p of [attrPath, partPath]) {
    try {
      if (statSync(p).isFile()) continue;
    } catch {
      // reported below
    }
    throw new FsmtlError(`${p}: file not found (${layout})`);
  }
  if (!isDir(imgDir)) throw new FsmtlError(`${imgDir}: folder not found (${layout})`);

  const attrs = parseCelebAAttributes(readText(attrPath), attrPath);
  const parts = parseCelebAPartition(readText(partPath), partPath);
  const columns = opts.attributes.map((a) => {
    const j = attrs.names.indexOf(a);
    if (j < 0) throw new FsmtlError(`CelebA: unknown attribute '${a}' (${attrPath} has: ${attrs.names.join(' ')})`);
    return j;
  });

  // Both lists must name the same images, and every image must be there.
  const row = new Map<string, number>();
  attrs.files.forEach((f, r) => row.set(f, r));
  const inParts = new Set(parts.files);
  const notInParts = attrs.files.filter((f) => !inParts.has(f));
  if (notInParts.length > 0) {
    throw new FsmtlError(`CelebA: ${notInParts.length} image(s) of ${attrPath} are not in ${partPath}: ${examples(notInParts)}`);
  }
  const notInAttrs = parts.files.filter((f) => !row.has(f));
  if (notInAttrs.length > 0) {
    throw new FsmtlError(`CelebA: ${notInAttrs.length} image(s) of ${partPath} are not in ${attrPath}: ${examples(notInAttrs)}`);
  }
  let present: Set<string>;
  try {
    present = new Set(readdirSync(imgDir));
  } catch (e) {
    throw new FsmtlError(`${imgDir}: cannot list the folder (${(e as Error).message})`);
  }
  const absent = parts.files.filter((f) => !present.has(f));
  if (absent.length > 0) {
    // Some redistributed archives nest the folder in itself.
    const nested = present.has(CELEBA_IMAGE_DIR) ? ` (the images seem to be in ${join(imgDir, CELEBA_IMAGE_DIR)}: move them up one level)` : '';
    throw new FsmtlError(
      `${imgDir}: ${absent.length} image(s) listed in ${partPath} are missing: ${examples(absent.map((f) => join(imgDir, f)))}${nested}`,
    );
  }

  const size = opts.size;
  const A = attrs.names.length;
  const K = columns.length;
  const split = (which: number, limit: number | undefined): CelebASplit => {
    let files = parts.files.filter((_, i) => parts.partition[i] === which);
    if (limit !== undefined) files = files.slice(0, limit);
    const n = files.length;
    const per = size * size * 3;
    let x: Float32Array;
    try {
      x = new Float32Array(n * per);
    } catch {
      const gb = ((n * per * 4) / 2 ** 30).toFixed(1);
      throw new FsmtlError(`CelebA: ${n} images of ${size}×${size} need ${gb} GB, more than can be allocated; set a limit`);
    }
    const y = new Float32Array(n * K);
    files.forEach((f, i) => {
      let img = readJpegFile(join(imgDir, f), { channels: 3 });
      if (opts.crop ?? true) img = centerSquare(img);
      resizeBilinear(img.data, img.height, img.width, x, i * per, size, size, 1, { channels: 3, antialias: true });
      const r = row.get(f)!;
      for (let k = 0; k < K; k++) y[i * K + k] = attrs.values[r * A + columns[k]] > 0 ? 1 : 0;
    });
    return { x, y, n, files };
  };
  const limit = opts.limit ?? {};
  return {
    attributeNames: [...opts.attributes],
    splits: { train: split(0, limit.train), val: split(1, limit.val), test: split(2, limit.test) },
  };
}
