import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { classHistogram } from '../../src/data/labels.js';
import { loadFashionMnist, loadKmnist, loadMnist, resolveDataDir } from '../../src/data/sources.js';
import { bytesOf, expectFsmtlError, makeIdx, makeNpy, npyHeader, SHARED, tempDir } from './helpers.js';

test('real MNIST: headers and train label histogram', () => {
  const m = loadMnist(SHARED);
  assert.equal(m.train.n, 60000);
  assert.equal(m.train.height, 28);
  assert.equal(m.train.width, 28);
  assert.equal(m.train.images.length, 60000 * 784);
  assert.equal(m.test.n, 10000);
  assert.deepEqual(classHistogram(m.train.labels, 10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(classHistogram(m.test.labels, 10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.equal(m.train.labels[0], 5); // the famous first MNIST digit
});

test('real Fashion-MNIST and KMNIST', () => {
  const f = loadFashionMnist(SHARED);
  assert.equal(f.train.n, 60000);
  assert.deepEqual(classHistogram(f.test.labels, 10), new Array(10).fill(1000));
  const k = loadKmnist(SHARED);
  assert.equal(k.test.n, 10000);
  assert.equal(k.train, undefined);
  assert.equal(k.test.height, 28);
  assert.match(k.test.imagesFile, /kmnist-test-imgs\.npz$/);
  assert.deepEqual(classHistogram(k.test.labels, 10), new Array(10).fill(1000));
});

test('resolveDataDir: explicit, FSMTL_DATA, then walking up for shared/data', () => {
  const dir = tempDir();
  assert.equal(resolveDataDir(dir), dir);
  expectFsmtlError(() => resolveDataDir(join(dir, 'missing')), join(dir, 'missing'), 'not found');
  const saved = process.env.FSMTL_DATA;
  const cwd = process.cwd();
  try {
    process.env.FSMTL_DATA = dir;
    assert.equal(resolveDataDir(), dir);
    process.env.FSMTL_DATA = join(dir, 'nope');
    expectFsmtlError(() => resolveDataDir(), 'FSMTL_DATA=', 'nope');
    delete process.env.FSMTL_DATA;
    // A repo next to a shared/ folder: <dir>/repo/sub (cwd) → <dir>/shared/data.
    mkdirSync(join(dir, 'shared', 'data'), { recursive: true });
    mkdirSync(join(dir, 'repo', 'sub'), { recursive: true });
    process.chdir(join(dir, 'repo', 'sub'));
    assert.equal(resolveDataDir(), join(dir, 'shared', 'data'));
  } finally {
    process.chdir(cwd);
    if (saved === undefined) delete process.env.FSMTL_DATA;
    else process.env.FSMTL_DATA = saved;
  }
});

test('explicit data dir with user copies (symlinks) in standard names, directly in the dir', () => {
  const dir = tempDir();
  for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    symlinkSync(join(SHARED, 'mnist', f), join(dir, f));
  }
  for (const f of ['kmnist-test-imgs.npz', 'kmnist-test-labels.npz']) symlinkSync(join(SHARED, 'kmnist', f), join(dir, f));
  const m = loadMnist(dir);
  assert.equal(m.dir, dir);
  assert.equal(m.train.imagesFile, join(dir, 'train-images-idx3-ubyte.gz'));
  assert.deepEqual([...m.train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assert.equal(loadKmnist(dir).test.n, 10000);
});

test('uncompressed standard names in <dir>/mnist, and the KMNIST IDX form in <dir>/kmnist', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'mnist'));
  const px = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 251);
  writeFileSync(join(dir, 'mnist', 'train-images-idx3-ubyte'), makeIdx([3, 28, 28], px));
  writeFileSync(join(dir, 'mnist', 'train-labels-idx1-ubyte'), makeIdx([3], Uint8Array.of(7, 8, 9)));
  writeFileSync(join(dir, 'mnist', 't10k-images-idx3-ubyte'), makeIdx([1, 28, 28], new Uint8Array(784)));
  writeFileSync(join(dir, 'mnist', 't10k-labels-idx1-ubyte'), makeIdx([1], Uint8Array.of(4)));
  const m = loadMnist(dir);
  assert.equal(m.train.n, 3);
  assert.deepEqual([...m.train.labels], [7, 8, 9]);
  assert.deepEqual([...m.train.images.subarray(0, 784 * 3)], [...px]);
  assert.deepEqual([...m.test.labels], [4]);

  mkdirSync(join(dir, 'kmnist'));
  writeFileSync(join(dir, 'kmnist', 't10k-images-idx3-ubyte.gz'), gzipSync(makeIdx([2, 28, 28], new Uint8Array(2 * 784))));
  writeFileSync(join(dir, 'kmnist', 't10k-labels-idx1-ubyte.gz'), gzipSync(makeIdx([2], Uint8Array.of(0, 5))));
  const k = loadKmnist(dir);
  assert.equal(k.test.n, 2);
  assert.deepEqual([...k.test.labels], [0, 5]);
});

test('KMNIST npz checks shapes and dtypes', () => {
  const dir = tempDir();
  const imgs = zipSync({ 'arr_0.npy': makeNpy(npyHeader('<f4', [1, 28, 28]), new Uint8Array(784 * 4)) });
  const labs = zipSync({ 'arr_0.npy': makeNpy(npyHeader('<i8', [1]), bytesOf(BigInt64Array.of(3n))) });
  writeFileSync(join(dir, 'kmnist-test-imgs.npz'), imgs);
  writeFileSync(join(dir, 'kmnist-test-labels.npz'), labs);
  expectFsmtlError(() => loadKmnist(dir), 'kmnist-test-imgs.npz', 'expected uint8 images', 'float32');
});

test('missing files: error names the dataset, the directory and the expected file names', () => {
  const dir = tempDir();
  expectFsmtlError(() => loadMnist(dir), 'MNIST train split not found', dir, 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', join(dir, 'mnist'));
  expectFsmtlError(() => loadFashionMnist(dir), 'Fashion-MNIST', join(dir, 'fashion-mnist'));
  expectFsmtlError(() => loadKmnist(dir), 'KMNIST test split not found', 'kmnist-test-imgs.npz', 'kmnist-test-labels.npz');
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(makeIdx([1, 28, 28], new Uint8Array(784))));
  expectFsmtlError(() => loadMnist(dir), 'found images', 'no labels file', 'train-labels-idx1-ubyte.gz');
});
