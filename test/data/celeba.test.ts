import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CELEBA_ATTRIBUTES,
  DEFAULT_CELEBA_ATTRIBUTES,
  parseCelebAAttributes,
  parseCelebAPartition,
  readCelebA,
  type CelebASplit,
} from '../../src/data/celeba.js';
import { resizeImage } from '../../src/data/image.js';
import { Rng } from '../../src/util/rng.js';
import { writeCelebAFixture } from './celeba-fixture.js';
import { encodeJpeg, expectFsmtlError, smoothImage, tempDir } from './helpers.js';

const fx = writeCelebAFixture(tempDir());
const A = CELEBA_ATTRIBUTES.length;
const ATTR = 'list_attr_celeba.txt';
const PART = 'list_eval_partition.txt';
const opts = { attributes: DEFAULT_CELEBA_ATTRIBUTES, size: 16 };

/** A fresh copy of the fixture, changed by edit. */
function variant(edit: (dir: string) => void): string {
  const dir = tempDir();
  cpSync(fx.dir, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** Replaces line `ln` (1-based) of a list file. */
function setLine(dir: string, file: string, ln: number, f: (line: string) => string): void {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  lines[ln - 1] = f(lines[ln - 1]);
  writeFileSync(join(dir, file), lines.join('\n'));
}

/** Expected labels of a split: 1 where the fixture has +1, in the order of `attributes`. */
function labels(files: string[], attributes: readonly string[]): number[] {
  return files.flatMap((f) => {
    const i = fx.files.indexOf(f);
    return attributes.map((a) => (fx.values[i * A + CELEBA_ATTRIBUTES.indexOf(a)] > 0 ? 1 : 0));
  });
}

test('the fixture is in the official layout', () => {
  assert.equal(CELEBA_ATTRIBUTES.length, 40);
  assert.equal(new Set(CELEBA_ATTRIBUTES).size, 40);
  for (const a of DEFAULT_CELEBA_ATTRIBUTES) assert.ok(CELEBA_ATTRIBUTES.includes(a), a);
  assert.equal(DEFAULT_CELEBA_ATTRIBUTES.length, 8);
  assert.deepEqual(readdirSync(fx.dir).sort(), ['img_align_celeba', ATTR, PART]);
  assert.deepEqual(readdirSync(join(fx.dir, 'img_align_celeba')), fx.files);
  assert.equal(fx.files[0], '000001.jpg');
  const attr = readFileSync(join(fx.dir, ATTR), 'utf8').split('\n');
  assert.equal(attr[0], '10');
  assert.equal(attr[1], CELEBA_ATTRIBUTES.join(' ') + ' ');
  for (let i = 0; i < 10; i++) assert.match(attr[i + 2], /^\d{6}\.jpg( (-1| 1)){40}$/);
  assert.equal(attr.length, 13); // a final newline
  assert.deepEqual(readFileSync(join(fx.dir, PART), 'utf8').split('\n').slice(0, 3), ['000001.jpg 0', '000002.jpg 0', '000003.jpg 0']);
  assert.deepEqual(fx.partition, [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
  const other = writeCelebAFixture(tempDir(), { perSplit: { train: 1, val: 1, test: 1 }, seed: 5 });
  assert.equal(other.files.length, 3);
  assert.notDeepEqual(other.pixels[0], fx.pixels[0]);
});

test('splits, files, labels and shapes', () => {
  const c = readCelebA(fx.dir, opts);
  assert.deepEqual(c.attributeNames, [...DEFAULT_CELEBA_ATTRIBUTES]);
  const want: [keyof typeof c.splits, number][] = [['train', 0], ['val', 1], ['test', 2]];
  for (const [name, p] of want) {
    const s: CelebASplit = c.splits[name];
    const files = fx.files.filter((_, i) => fx.partition[i] === p);
    assert.deepEqual(s.files, files);
    assert.equal(s.n, files.length);
    assert.equal(s.x.length, s.n * 16 * 16 * 3);
    assert.equal(s.y.length, s.n * 8);
    assert.deepEqual([...s.y], labels(files, DEFAULT_CELEBA_ATTRIBUTES));
    for (const v of s.x) assert.ok(v >= 0 && v <= 1);
  }
  assert.deepEqual([c.splits.train.n, c.splits.val.n, c.splits.test.n], [6, 2, 2]);
});

test('labels follow the order of the chosen attributes', () => {
  const attributes = ['Young', '5_o_Clock_Shadow', 'Male'];
  const c = readCelebA(fx.dir, { attributes, size: 4 });
  assert.deepEqual(c.attributeNames, attributes);
  assert.deepEqual([...c.splits.train.y], labels(c.splits.train.files, attributes));
  const rev = readCelebA(fx.dir, { attributes: [...attributes].reverse(), size: 4 });
  for (let i = 0; i < 6; i++) assert.deepEqual([...rev.splits.train.y.subarray(3 * i, 3 * i + 3)], [...c.splits.train.y.subarray(3 * i, 3 * i + 3)].reverse());
});

test('pixels: the central 178×178 square, RGB in [0, 1], close to what was encoded', () => {
  const c = readCelebA(fx.dir, { ...opts, size: 178 });
  const per = 178 * 178 * 3;
  for (let s = 0; s < 6; s++) {
    const x = c.splits.train.x.subarray(s * per, (s + 1) * per);
    const px = fx.pixels[s];
    const err = [0, 0, 0];
    for (let y = 0; y < 178; y++)
      for (let xx = 0; xx < 178; xx++)
        for (let ch = 0; ch < 3; ch++) {
          const d = Math.abs(x[(y * 178 + xx) * 3 + ch] - px[((y + 20) * 178 + xx) * 3 + ch] / 255);
          assert.ok(d < 0.15, `image ${s} (${y}, ${xx}, ${ch}): off by ${d}`);
          err[ch] += d / (178 * 178);
        }
    for (const e of err) assert.ok(e < 0.01, `image ${s}: mean error ${err}`);
  }
  // Without crop the whole 178×218 image is squeezed into the square.
  const whole = readCelebA(fx.dir, { ...opts, size: 32, crop: false });
  const ref = resizeImage({ height: 218, width: 178, channels: 3, data: Float32Array.from(fx.pixels[0], (v) => v / 255) }, 32, 32);
  let worst = 0;
  for (let i = 0; i < ref.data.length; i++) worst = Math.max(worst, Math.abs(whole.splits.train.x[i] - ref.data[i]));
  assert.ok(worst < 0.05, `crop: false off by ${worst}`);
  // Green grows downwards: the squeezed image spans more of it than the crop.
  const cropped = readCelebA(fx.dir, { ...opts, size: 32 });
  const green = (x: Float32Array, y: number) => x[(y * 32 + 16) * 3 + 1];
  assert.ok(green(whole.splits.train.x, 31) - green(whole.splits.train.x, 0) > green(cropped.splits.train.x, 31) - green(cropped.splits.train.x, 0) + 0.05);
});

test('limits take the first images of each partition; images of another size are resized', () => {
  const c = readCelebA(fx.dir, { ...opts, limit: { train: 2, val: 0 } });
  assert.deepEqual(c.splits.train.files, ['000001.jpg', '000002.jpg']);
  assert.equal(c.splits.val.n, 0);
  assert.equal(c.splits.val.x.length, 0);
  assert.equal(c.splits.test.n, 2);
  const all = readCelebA(fx.dir, opts);
  assert.deepEqual(c.splits.train.x, all.splits.train.x.subarray(0, 2 * 16 * 16 * 3));
  assert.equal(readCelebA(fx.dir, { ...opts, limit: { train: 100 } }).splits.train.n, 6);
  const odd = variant((d) => writeFileSync(join(d, 'img_align_celeba', '000002.jpg'), encodeJpeg(smoothImage(90, 70, new Rng(1)), 90, 70)));
  const o = readCelebA(odd, opts);
  assert.equal(o.splits.train.x.length, 6 * 16 * 16 * 3);
});

test('partitions come from list_eval_partition.txt, in its order', () => {
  const order = [9, 0, 4, 8, 1, 2, 7, 3, 5, 6];
  const dir = variant((d) => writeFileSync(join(d, PART), order.map((i) => `${fx.files[i]}   ${i % 3}\r\n`).join('')));
  const c = readCelebA(dir, opts);
  const want = (p: number) => order.filter((i) => i % 3 === p).map((i) => fx.files[i]);
  assert.deepEqual(c.splits.train.files, want(0));
  assert.deepEqual(c.splits.val.files, want(1));
  assert.deepEqual(c.splits.test.files, want(2));
  assert.deepEqual([...c.splits.val.y], labels(want(1), DEFAULT_CELEBA_ATTRIBUTES));
  // Each image's pixels travel with it.
  const base = readCelebA(fx.dir, opts);
  const per = 16 * 16 * 3;
  const i = c.splits.val.files.indexOf('000005.jpg');
  assert.deepEqual(c.splits.val.x.subarray(i * per, (i + 1) * per), base.splits.train.x.subarray(4 * per, 5 * per));
});

test('tabs, several spaces and CRLF in the attribute list', () => {
  const dir = variant((d) => {
    const text = readFileSync(join(d, ATTR), 'utf8').replace(/\n/g, '\r\n').replace(/ {2}/g, ' \t ');
    writeFileSync(join(d, ATTR), text);
  });
  assert.deepEqual(readCelebA(dir, opts).splits.test.y, readCelebA(fx.dir, opts).splits.test.y);
});

test('errors in list_attr_celeba.txt name the file and line', () => {
  const cases: [(d: string) => void, ...string[]][] = [
    [(d) => setLine(d, ATTR, 1, () => '11'), 'line 1 says 11 images, but 10 image lines follow'],
    [(d) => setLine(d, ATTR, 1, () => '9'), 'line 1 says 9 images'],
    [(d) => setLine(d, ATTR, 1, () => 'ten'), 'line 1', 'expected the number of images'],
    [(d) => setLine(d, ATTR, 5, (l) => l.replace(/ ?-?1$/, '')), 'line 5', '000003.jpg has 39 values, expected 40'],
    [(d) => setLine(d, ATTR, 6, (l) => l + ' 1'), 'line 6', '000004.jpg has 41 values'],
    [(d) => setLine(d, ATTR, 4, (l) => l.replace(/ ?-?1$/, ' 0')), 'line 4', '000002.jpg', 'Young is "0", expected 1 or -1'],
    [(d) => setLine(d, ATTR, 12, (l) => l.replace(/^(\S+) ?-?1/, '$1  2')), 'line 12', '000010.jpg', '5_o_Clock_Shadow is "2"'],
    [(d) => setLine(d, ATTR, 7, (l) => l.replace('000005', '000004')), 'line 7', '000004.jpg is listed twice (also on line 6)'],
    [(d) => setLine(d, ATTR, 2, (l) => l.replace('Bald', 'Bangs')), 'line 2', "attribute 'Bangs' appears twice (columns 5 and 6)"],
    [(d) => setLine(d, ATTR, 8, () => ''), 'line 8 is empty'],
    [(d) => writeFileSync(join(d, ATTR), '10\n'), 'expected the image count on line 1 and the attribute names on line 2'],
  ];
  for (const [edit, ...parts] of cases) {
    const dir = variant(edit);
    expectFsmtlError(() => readCelebA(dir, opts), join(dir, ATTR), ...parts);
  }
});

test('errors in list_eval_partition.txt name the file and line', () => {
  const cases: [(d: string) => void, ...string[]][] = [
    [(d) => setLine(d, PART, 3, () => '000003.jpg 3'), 'line 3', '000003.jpg: partition "3", expected 0 (train), 1 (val) or 2 (test)'],
    [(d) => setLine(d, PART, 2, () => '000002.jpg'), 'line 2', "expected '<image> <0|1|2>'"],
    [(d) => setLine(d, PART, 4, () => '000001.jpg 0'), 'line 4', '000001.jpg is listed twice (also on line 1)'],
    [(d) => setLine(d, PART, 5, () => ' '), 'line 5 is empty'],
    [(d) => writeFileSync(join(d, PART), '\n'), 'empty file'],
  ];
  for (const [edit, ...parts] of cases) {
    const dir = variant(edit);
    expectFsmtlError(() => readCelebA(dir, opts), join(dir, PART), ...parts);
  }
});

test('the two lists and the image folder must agree', () => {
  const dropped = variant((d) => writeFileSync(join(d, PART), readFileSync(join(d, PART), 'utf8').replace('000007.jpg 1\n', '')));
  expectFsmtlError(() => readCelebA(dropped, opts), `1 image(s) of ${join(dropped, ATTR)} are not in ${join(dropped, PART)}: 000007.jpg`);
  const extra = variant((d) => writeFileSync(join(d, PART), readFileSync(join(d, PART), 'utf8') + '000011.jpg 2\n000012.jpg 2\n'));
  expectFsmtlError(() => readCelebA(extra, opts), `2 image(s) of ${join(extra, PART)} are not in ${join(extra, ATTR)}: 000011.jpg, 000012.jpg`);
  const missing = variant((d) => rmSync(join(d, 'img_align_celeba', '000004.jpg')));
  expectFsmtlError(() => readCelebA(missing, opts), join(missing, 'img_align_celeba', '000004.jpg'), '1 image(s) listed in', 'are missing');
  const nested = variant((d) => {
    const img = join(d, 'img_align_celeba');
    cpSync(img, join(d, 'tmp'), { recursive: true });
    rmSync(img, { recursive: true });
    cpSync(join(d, 'tmp'), join(img, 'img_align_celeba'), { recursive: true });
  });
  expectFsmtlError(() => readCelebA(nested, opts), '10 image(s) listed in', 'and 7 more', 'move them up one level');
  const corrupt = variant((d) => {
    const p = join(d, 'img_align_celeba', '000009.jpg');
    writeFileSync(p, readFileSync(p).subarray(0, 3000));
  });
  expectFsmtlError(() => readCelebA(corrupt, opts), join(corrupt, 'img_align_celeba', '000009.jpg'), 'corrupt or truncated JPEG');
  const notJpeg = variant((d) => writeFileSync(join(d, 'img_align_celeba', '000001.jpg'), 'GIF89a'));
  expectFsmtlError(() => readCelebA(notJpeg, opts), join(notJpeg, 'img_align_celeba', '000001.jpg'), 'corrupt or truncated JPEG');
});

test('missing files and folders', () => {
  const noAttr = variant((d) => rmSync(join(d, ATTR)));
  expectFsmtlError(() => readCelebA(noAttr, opts), join(noAttr, ATTR), 'file not found', 'official layout');
  const noPart = variant((d) => rmSync(join(d, PART)));
  expectFsmtlError(() => readCelebA(noPart, opts), join(noPart, PART), 'file not found');
  const noImg = variant((d) => rmSync(join(d, 'img_align_celeba'), { recursive: true }));
  expectFsmtlError(() => readCelebA(noImg, opts), join(noImg, 'img_align_celeba'), 'folder not found');
  expectFsmtlError(() => readCelebA(join(fx.dir, 'nope'), opts), join(fx.dir, 'nope'), 'not found');
});

test('options are checked', () => {
  const msg = expectFsmtlError(() => readCelebA(fx.dir, { attributes: ['Smile'], size: 8 }), "unknown attribute 'Smile'", join(fx.dir, ATTR), 'Smiling');
  assert.ok(msg.includes(CELEBA_ATTRIBUTES.join(' ')));
  expectFsmtlError(() => readCelebA(fx.dir, { attributes: ['Male', 'Male'], size: 8 }), "attribute 'Male' is chosen twice");
  expectFsmtlError(() => readCelebA(fx.dir, { attributes: [], size: 8 }), 'attributes must be a non-empty list');
  for (const size of [0, 1.5, 2000, NaN]) expectFsmtlError(() => readCelebA(fx.dir, { ...opts, size }), 'size must be an integer from 1 to 1024');
  expectFsmtlError(() => readCelebA(fx.dir, { ...opts, limit: { valid: 1 } as object }), "limit has no split 'valid'");
  expectFsmtlError(() => readCelebA(fx.dir, { ...opts, limit: { train: -1 } }), 'limit.train must be a non-negative integer');
});

test('the parsers take text and a name, for use without a file system', () => {
  const text = readFileSync(join(fx.dir, ATTR), 'utf8');
  const a = parseCelebAAttributes(text, 'attrs');
  assert.deepEqual(a.names, [...CELEBA_ATTRIBUTES]);
  assert.deepEqual(a.files, fx.files);
  assert.deepEqual(a.values, fx.values);
  const p = parseCelebAPartition(readFileSync(join(fx.dir, PART), 'utf8'), 'parts');
  assert.deepEqual([...p.partition], fx.partition);
  expectFsmtlError(() => parseCelebAAttributes(text.replace(' 1', ' x'), 'attrs'), 'attrs: line 3');
  expectFsmtlError(() => parseCelebAPartition('a.jpg 0\nb.jpg 7\n', 'parts'), 'parts: line 2');
});
