// celeba: the paper's homogeneous multi-label setting, from a user's CelebA copy in its official layout
// (src/data/celeba.ts reads it; CelebA may not be redistributed, so fsmtl ships no images). Every chosen
// attribute is a binary task on the same face images; CelebA's own partition gives train, validation
// and test. The images are the central 178×178 square of the aligned faces, resized to size × size RGB.
import { join } from 'pathe';
import { existsSync } from '../util/fs.js';
import { FsmtlError } from '../util/errors.js';
import { CELEBA_ATTR_FILE, DEFAULT_CELEBA_ATTRIBUTES, readCelebA, type CelebASplit } from './celeba.js';
import { resolveDataDir } from './sources.js';
import type { Benchmark, Split, TaskData } from './types.js';

export interface CelebABenchmarkOptions {
  /** The CelebA folder, or a data folder holding it as celeba/ (default: resolveDataDir()). */
  dataDir?: string;
  seed: number;
  /** Attributes, one binary task each (default: DEFAULT_CELEBA_ATTRIBUTES, 8). */
  attributes?: readonly string[];
  /** Side of the square images (default 64). */
  imageSize?: number;
  /** Images per split: the first ones of CelebA's partition (defaults 10,000 / 2,000 / 2,000). */
  trainSize?: number;
  valSize?: number;
  testSize?: number;
}

/** The folder that holds list_attr_celeba.txt: `dir` itself or `dir`/celeba. */
function celebaDir(dir: string): string {
  for (const d of [dir, join(dir, 'celeba')]) if (existsSync(join(d, CELEBA_ATTR_FILE))) return d;
  throw new FsmtlError(
    `no CelebA copy in ${dir} (looked for ${CELEBA_ATTR_FILE} there and in ${join(dir, 'celeba')}); CelebA cannot be shipped: ` +
      `download it from its authors and give its folder with --data-dir`,
  );
}

export function buildCelebA(opts: CelebABenchmarkOptions): Benchmark {
  const dir = celebaDir(resolveDataDir(opts.dataDir));
  const attributes = opts.attributes ?? DEFAULT_CELEBA_ATTRIBUTES;
  const size = opts.imageSize ?? 64;
  const data = readCelebA(dir, {
    attributes,
    size,
    limit: { train: opts.trainSize ?? 10000, val: opts.valSize ?? 2000, test: opts.testSize ?? 2000 },
  });
  const K = attributes.length;
  /** Column k of a split's labels, sharing the split's images. */
  const column = (s: CelebASplit, k: number): Split => ({ x: s.x, y: Float32Array.from({ length: s.n }, (_, i) => s.y[i * K + k]), n: s.n });
  const { train, val, test } = data.splits;
  for (const [name, s] of Object.entries(data.splits)) {
    if (s.n === 0) throw new FsmtlError(`CelebA in ${dir}: the ${name} partition has no images`);
  }
  const tasks: TaskData[] = data.attributeNames.map((a, k) => ({
    name: a,
    spec: { kind: 'binary', classNames: [`not ${a}`, a] },
    train: column(train, k),
    val: column(val, k),
    test: column(test, k),
  }));
  const rate = (s: CelebASplit, k: number) => (100 * column(s, k).y.reduce((a, v) => a + v, 0)) / s.n;
  return {
    name: 'celeba',
    kind: 'homogeneous',
    inputShape: [size, size, 3],
    tasks,
    provenance: [
      `celeba: ${K} binary attributes of CelebA (Liu et al., 2015) from ${dir}: central 178×178 crop of the aligned faces, resized to ${size}×${size} RGB, pixels in [0, 1]`,
      `partition of list_eval_partition.txt, first images of each: ${train.n} train, ${val.n} validation, ${test.n} test`,
      `positive rate in train: ${data.attributeNames.map((a, k) => `${a} ${rate(train, k).toFixed(0)}%`).join(', ')}`,
    ],
  };
}
