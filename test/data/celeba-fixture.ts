// A tiny stand-in for a CelebA copy (which may not be redistributed), written by the tests themselves
// in exactly the official layout: img_align_celeba/000001.jpg ..., list_attr_celeba.txt (count, the 40
// names, ±1 rows padded like the original), list_eval_partition.txt ('000001.jpg 0'). Images are smooth
// seeded colour fields with a block, so that JPEG keeps them close and crops and channels can be told apart.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELEBA_ATTRIBUTES } from '../../src/data/celeba.js';
import { Rng } from '../../src/util/rng.js';
import { encodeJpeg, smoothImage } from './helpers.js';

export interface CelebAFixtureOptions {
  /** Images per partition, in this order in the lists (default 6 / 2 / 2). */
  perSplit?: { train: number; val: number; test: number };
  /** Seed of the pixels and attribute values (default 0). */
  seed?: number;
  /** Image size (default 178 wide × 218 high, as the aligned images). */
  width?: number;
  height?: number;
  /** JPEG quality (default 95). */
  quality?: number;
}

export interface CelebAFixture {
  dir: string;
  /** All image names, in list order: train first, then val, then test (as in the original). */
  files: string[];
  /** One per file: 0 = train, 1 = val, 2 = test. */
  partition: number[];
  /** files.length × 40 values ±1, in CELEBA_ATTRIBUTES order. */
  values: Int8Array;
  /** The pixels before JPEG encoding: height × width × 3 RGB bytes per file. */
  pixels: Uint8Array[];
  width: number;
  height: number;
}

/** Writes a small valid CelebA copy into dir (created if needed) and returns what it wrote. */
export function writeCelebAFixture(dir: string, opts: CelebAFixtureOptions = {}): CelebAFixture {
  const per = opts.perSplit ?? { train: 6, val: 2, test: 2 };
  const width = opts.width ?? 178;
  const height = opts.height ?? 218;
  const rng = Rng.derive(opts.seed ?? 0, 'celeba-fixture');
  const counts = [per.train, per.val, per.test];
  const n = counts[0] + counts[1] + counts[2];
  const A = CELEBA_ATTRIBUTES.length;
  const files: string[] = [];
  const partition: number[] = [];
  const values = new Int8Array(n * A);
  const pixels: Uint8Array[] = [];
  mkdirSync(join(dir, 'img_align_celeba'), { recursive: true });
  for (let s = 0; s < 3; s++) {
    for (let k = 0; k < counts[s]; k++) {
      const i = files.length;
      const f = `${String(i + 1).padStart(6, '0')}.jpg`;
      files.push(f);
      partition.push(s);
      for (let j = 0; j < A; j++) values[i * A + j] = rng.next() < 0.5 ? 1 : -1;
      const px = smoothImage(width, height, rng);
      pixels.push(px);
      writeFileSync(join(dir, 'img_align_celeba', f), encodeJpeg(px, width, height, opts.quality ?? 95));
    }
  }
  // The original pads each value to two characters after one space: '000001.jpg -1  1  1 -1'.
  const rows = files.map((f, i) => f + Array.from(values.subarray(i * A, (i + 1) * A), (v) => ' ' + String(v).padStart(2)).join(''));
  writeFileSync(join(dir, 'list_attr_celeba.txt'), `${n}\n${CELEBA_ATTRIBUTES.join(' ')} \n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'list_eval_partition.txt'), files.map((f, i) => `${f} ${partition[i]}\n`).join(''));
  return { dir, files, partition, values, pixels, width, height };
}
