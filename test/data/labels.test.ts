import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkCounts, classHistogram, validateLabels } from '../../src/data/labels.js';
import { loadMnist } from '../../src/data/sources.js';
import { expectFsmtlError, makeIdx, tempDir } from './helpers.js';

test('validateLabels accepts in-range labels and converts to Int32Array', () => {
  const y = validateLabels(Uint8Array.of(0, 9, 3), 10, 'l');
  assert.ok(y instanceof Int32Array);
  assert.deepEqual([...y], [0, 9, 3]);
  assert.deepEqual([...validateLabels(BigInt64Array.of(1n, 2n), 3, 'b')], [1, 2]);
  assert.deepEqual(classHistogram(Int32Array.of(0, 2, 2), 3), [1, 0, 2]);
});

test('label out of range names the file, index and value', () => {
  expectFsmtlError(() => validateLabels(Uint8Array.of(0, 1, 10, 2), 10, 'mnist/y.gz'), 'mnist/y.gz', 'index 2', 'is 10', '[0, 10)');
  expectFsmtlError(() => validateLabels(BigInt64Array.of(-1n), 10, 'k.npz'), 'k.npz', 'index 0', 'is -1');
  expectFsmtlError(() => validateLabels(Float32Array.of(1.5), 10, 'f'), 'index 0', '1.5');
});

test('count mismatch', () => {
  expectFsmtlError(() => checkCounts(5, 4, 'imgs', 'labs'), 'imgs', '5 images', 'labs has 4 labels');
});

test('loader reports bad labels and count mismatch in files', () => {
  const dir = tempDir();
  const m = join(dir, 'mnist');
  mkdirSync(m);
  const imgs = (n: number) => gzipSync(makeIdx([n, 28, 28], new Uint8Array(n * 784)));
  writeFileSync(join(m, 'train-images-idx3-ubyte.gz'), imgs(3));
  writeFileSync(join(m, 'train-labels-idx1-ubyte.gz'), gzipSync(makeIdx([3], Uint8Array.of(1, 12, 0))));
  writeFileSync(join(m, 't10k-images-idx3-ubyte.gz'), imgs(2));
  writeFileSync(join(m, 't10k-labels-idx1-ubyte.gz'), gzipSync(makeIdx([3], Uint8Array.of(1, 1, 1))));
  expectFsmtlError(() => loadMnist(dir), join(m, 'train-labels-idx1-ubyte.gz'), 'index 1', 'is 12');
  writeFileSync(join(m, 'train-labels-idx1-ubyte.gz'), gzipSync(makeIdx([3], Uint8Array.of(1, 2, 0))));
  expectFsmtlError(() => loadMnist(dir), join(m, 't10k-images-idx3-ubyte.gz'), '2 images', '3 labels');
});
