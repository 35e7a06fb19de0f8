import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expectIdxDims, parseIdx, readIdxFile } from '../../src/data/idx.js';
import { expectFsmtlError, makeIdx, tempDir } from './helpers.js';

const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 7) % 256);
const valid = makeIdx([2, 3, 4], pixels);

test('parses a raw 3-D uint8 IDX', () => {
  const a = parseIdx(valid, 'x.idx');
  assert.deepEqual(a.dims, [2, 3, 4]);
  assert.equal(a.dtype, 'uint8');
  assert.deepEqual([...a.data], [...pixels]);
});

test('parses a gzip IDX, detected by magic bytes not by name', () => {
  const a = parseIdx(gzipSync(valid), 'no-gz-suffix');
  assert.deepEqual(a.dims, [2, 3, 4]);
  assert.deepEqual([...a.data], [...pixels]);
});

test('parses 1-D labels and higher-rank arrays', () => {
  const l = parseIdx(makeIdx([5], Uint8Array.of(0, 1, 2, 3, 4)), 'labels');
  assert.deepEqual(l.dims, [5]);
  assert.deepEqual([...l.data], [0, 1, 2, 3, 4]);
  const r4 = parseIdx(makeIdx([1, 2, 2, 2], new Uint8Array(8).fill(9)), 'r4');
  assert.deepEqual(r4.dims, [1, 2, 2, 2]);
});

test('bad magic number', () => {
  const b = valid.slice();
  b[0] = 0x12;
  expectFsmtlError(() => parseIdx(b, 'mnist/bad.idx'), 'mnist/bad.idx', 'bad magic number 0x12000803');
  const c = valid.slice();
  c[2] = 0x42;
  expectFsmtlError(() => parseIdx(c, 'mnist/bad.idx'), 'mnist/bad.idx', 'unknown IDX type byte 0x42');
  expectFsmtlError(() => parseIdx(Uint8Array.of(0, 0), 'tiny'), 'tiny', 'not an IDX file');
});

test('non-uint8 element type is rejected clearly', () => {
  const f = makeIdx([2], new Uint8Array(8), 0x0d);
  expectFsmtlError(() => parseIdx(f, 'f.idx'), 'f.idx', 'unsupported IDX element type float32');
});

test('wrong dims count', () => {
  // ndims byte says 2 instead of 3: header is 60000-ish×28 and the payload no longer matches.
  const b = valid.slice();
  b[3] = 2;
  expectFsmtlError(() => parseIdx(b, 'd.idx'), 'd.idx', 'header says 2×3');
  const z = valid.slice();
  z[3] = 0;
  expectFsmtlError(() => parseIdx(z, 'z.idx'), 'z.idx', '0 dimensions');
  // Header truncated inside the dimensions.
  expectFsmtlError(() => parseIdx(valid.subarray(0, 10), 'h.idx'), 'h.idx', 'truncated header');
  // A valid 1-D file where images (3-D) are expected.
  const lab = parseIdx(makeIdx([5], new Uint8Array(5)), 'labels.idx');
  expectFsmtlError(() => expectIdxDims(lab, 3, 'labels.idx', 'images'), 'labels.idx', 'expected images', 'got 1-D');
});

test('truncated payload', () => {
  const msg = expectFsmtlError(() => parseIdx(valid.subarray(0, valid.length - 5), 'mnist/t.gz'), 'mnist/t.gz', 'truncated');
  assert.match(msg, /header says 2×3×4 = 24 bytes, file has 19/);
});

test('trailing bytes', () => {
  const b = new Uint8Array(valid.length + 3);
  b.set(valid);
  expectFsmtlError(() => parseIdx(b, 'tr.idx'), 'tr.idx', '3 trailing bytes', 'file has 27');
});

test('corrupt and truncated gzip', () => {
  const gz = gzipSync(valid);
  const bad = gz.slice();
  bad[bad.length - 6] ^= 0xff; // CRC32
  expectFsmtlError(() => parseIdx(bad, 'c.gz'), 'c.gz', 'corrupt gzip');
  expectFsmtlError(() => parseIdx(gz.subarray(0, gz.length - 10), 'c2.gz'), 'c2.gz', 'corrupt gzip');
  const garbled = gz.slice();
  for (let i = 10; i < garbled.length - 8; i++) garbled[i] = 0xff;
  expectFsmtlError(() => parseIdx(garbled, 'c3.gz'), 'c3.gz', 'corrupt gzip');
  // Cut to header + trailer bytes, the trailer's length field reads as ~10⁸: refused before any
  // decompression (fflate would allocate that much and the CRC pass would run for seconds).
  const cut = new Uint8Array(18);
  cut.set(gz.subarray(0, 10));
  cut.set([0, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f], 10);
  expectFsmtlError(() => parseIdx(cut, 'c4.gz'), 'c4.gz', 'more than 0 compressed bytes can hold');
  expectFsmtlError(() => parseIdx(gz.subarray(0, 12), 'c5.gz'), 'c5.gz', 'shorter than a gzip header and trailer');
});

test('readIdxFile names the path in errors and reads raw and gz files', () => {
  const dir = tempDir();
  const raw = join(dir, 'a-idx3-ubyte');
  const gz = join(dir, 'a-idx3-ubyte.gz');
  writeFileSync(raw, valid);
  writeFileSync(gz, gzipSync(valid));
  assert.deepEqual(readIdxFile(raw).dims, [2, 3, 4]);
  assert.deepEqual([...readIdxFile(gz).data], [...pixels]);
  const broken = join(dir, 'broken.gz');
  writeFileSync(broken, valid.subarray(0, 20));
  expectFsmtlError(() => readIdxFile(broken), broken, 'truncated');
  expectFsmtlError(() => readIdxFile(join(dir, 'nope')), join(dir, 'nope'), 'not found');
});

test('readIdxFile notices a changed file despite the cache', () => {
  const dir = tempDir();
  const p = join(dir, 'c-idx1-ubyte');
  writeFileSync(p, makeIdx([3], Uint8Array.of(1, 2, 3)));
  assert.deepEqual([...readIdxFile(p).data], [1, 2, 3]);
  assert.equal(readIdxFile(p), readIdxFile(p)); // cached object
  writeFileSync(p, makeIdx([4], Uint8Array.of(1, 2, 3, 4)));
  assert.deepEqual(readIdxFile(p).dims, [4]);
});
