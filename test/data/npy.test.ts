import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { parseNpy, parseNpz, npzArray, readNpzFile } from '../../src/data/npy.js';
import { bytesOf, expectFsmtlError, makeNpy, npyHeader, tempDir } from './helpers.js';

test('npy v1 uint8', () => {
  const a = parseNpy(makeNpy(npyHeader('|u1', [2, 3]), Uint8Array.of(1, 2, 3, 4, 5, 255)), 'u.npy');
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, 'uint8');
  assert.ok(a.data instanceof Uint8Array);
  assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 255]);
});

test('npy v1 float32 (unaligned payload is copied)', () => {
  const vals = Float32Array.of(0.5, -1.25, 3e7, 0);
  const bytes = makeNpy(npyHeader('<f4', [4]), bytesOf(vals));
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  const a = parseNpy(shifted, 'f.npy');
  assert.equal(a.dtype, 'float32');
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual([...a.data], [...vals]);
});

test('npy v1 int64 and int32, big-endian float64', () => {
  const i8 = BigInt64Array.of(0n, 9n, -3n, 1n << 40n);
  const a = parseNpy(makeNpy(npyHeader('<i8', [2, 2]), bytesOf(i8)), 'i8.npy');
  assert.equal(a.dtype, 'int64');
  assert.deepEqual([...(a.data as BigInt64Array)], [...i8]);
  const i4 = Int32Array.of(-1, 2);
  assert.deepEqual([...parseNpy(makeNpy(npyHeader('<i4', [2]), bytesOf(i4)), 'i4').data], [-1, 2]);
  const be = new Uint8Array(16);
  const dv = new DataView(be.buffer);
  dv.setFloat64(0, 1.5, false);
  dv.setFloat64(8, -2, false);
  assert.deepEqual([...parseNpy(makeNpy(npyHeader('>f8', [2]), be), 'be').data], [1.5, -2]);
});

test('npy v2 and v3 headers, scalar shape', () => {
  const v2 = parseNpy(makeNpy(npyHeader('|u1', [3]), Uint8Array.of(7, 8, 9), 2), 'v2.npy');
  assert.deepEqual([...v2.data], [7, 8, 9]);
  const v3 = parseNpy(makeNpy(npyHeader('<f8', []).replace('()', '()'), bytesOf(Float64Array.of(4.25)), 3), 'v3.npy');
  assert.deepEqual(v3.shape, []);
  assert.deepEqual([...v3.data], [4.25]);
});

test('fortran_order True is rejected', () => {
  const b = makeNpy(npyHeader('|u1', [2, 2], true), new Uint8Array(4));
  expectFsmtlError(() => parseNpy(b, 'fo.npy'), 'fo.npy', 'fortran_order');
});

test('truncated payload and trailing bytes', () => {
  const b = makeNpy(npyHeader('<f4', [3]), bytesOf(Float32Array.of(1, 2, 3)));
  expectFsmtlError(() => parseNpy(b.subarray(0, b.length - 1), 'tr.npy'), 'tr.npy', 'truncated', '12 bytes, file has 11');
  const long = new Uint8Array(b.length + 4);
  long.set(b);
  expectFsmtlError(() => parseNpy(long, 'tl.npy'), 'tl.npy', '4 trailing bytes');
  expectFsmtlError(() => parseNpy(b.subarray(0, 40), 'th.npy'), 'th.npy', 'truncated .npy header');
});

test('bad magic, version, header and dtype', () => {
  const good = makeNpy(npyHeader('|u1', [1]), Uint8Array.of(1));
  const m = good.slice();
  m[1] = 0x4f;
  expectFsmtlError(() => parseNpy(m, 'm.npy'), 'm.npy', 'not a .npy file');
  const v = good.slice();
  v[6] = 4;
  expectFsmtlError(() => parseNpy(v, 'v.npy'), 'v.npy', 'version 4.0');
  expectFsmtlError(() => parseNpy(makeNpy("{'descr': '|u1', 'shape': (1,)}", Uint8Array.of(1)), 'nf.npy'), 'nf.npy', 'fortran_order');
  expectFsmtlError(() => parseNpy(makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,", Uint8Array.of(1)), 'h.npy'), 'h.npy', 'bad .npy header');
  expectFsmtlError(() => parseNpy(makeNpy(npyHeader('<c8', [1]), new Uint8Array(8)), 'c.npy'), 'c.npy', "unsupported dtype '<c8'");
  expectFsmtlError(() => parseNpy(makeNpy(npyHeader('|O', [1]), new Uint8Array(8)), 'o.npy'), 'o.npy', "unsupported dtype '|O'");
  const structured = "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }";
  expectFsmtlError(() => parseNpy(makeNpy(structured, new Uint8Array(4)), 's.npy'), 's.npy', 'structured');
});

test('npz stored and deflated, with missing-key error', () => {
  const imgs = makeNpy(npyHeader('|u1', [2, 2, 2]), Uint8Array.from({ length: 8 }, (_, i) => i));
  const labs = makeNpy(npyHeader('<i8', [2]), bytesOf(BigInt64Array.of(3n, 1n)));
  for (const level of [0, 6] as const) {
    const z = zipSync({ 'arr_0.npy': imgs, 'labels.npy': labs }, { level });
    const npz = parseNpz(z, 'a.npz');
    assert.deepEqual(Object.keys(npz).sort(), ['arr_0', 'labels']);
    assert.deepEqual(npz.arr_0.shape, [2, 2, 2]);
    assert.deepEqual([...npz.arr_0.data], [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual([...(npz.labels.data as BigInt64Array)], [3n, 1n]);
    expectFsmtlError(() => npzArray(npz, 'arr_1', 'a.npz'), 'a.npz', "no array 'arr_1'", 'arr_0, labels');
  }
});

test('npz errors name the archive and member', () => {
  expectFsmtlError(() => parseNpz(Uint8Array.of(1, 2, 3, 4, 5), 'x.npz'), 'x.npz', 'not a zip');
  const z = zipSync({ 'arr_0.npy': makeNpy(npyHeader('|u1', [4]), Uint8Array.of(1, 2, 3)) }, { level: 0 });
  expectFsmtlError(() => parseNpz(z, 'k.npz'), 'k.npz[arr_0.npy]', 'truncated');
  const ok = zipSync({ 'arr_0.npy': makeNpy(npyHeader('|u1', [4]), Uint8Array.of(1, 2, 3, 4)) }, { level: 0 });
  expectFsmtlError(() => parseNpz(ok.subarray(0, 30), 'cut.npz'), 'cut.npz', 'corrupt');
  const dir = tempDir();
  const p = join(dir, 'f.npz');
  writeFileSync(p, ok);
  assert.deepEqual([...readNpzFile(p).arr_0.data], [1, 2, 3, 4]);
});
