import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync, Zip, ZipDeflate, ZipPassThrough, zipSync } from 'fflate';
import { parseNpy, parseNpz, npzArray, readNpzFile } from '../../src/data/npy.js';
import { crc32 } from '../../src/util/crc32.js';
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

// ---- Zip integrity: the CRC-32 of every member, and local header against central directory.

/** Offset of the first member's data in a zip written by zipSync (local header + name + extra). */
function dataOffset(z: Uint8Array): number {
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
  return 30 + v.getUint16(26, true) + v.getUint16(28, true);
}

const labelsNpy = (n: number) => makeNpy(npyHeader('<i8', [n]), bytesOf(BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7 + (i >> 3)) % 10))));

test('npz: a stored member whose bytes do not match its CRC-32 is refused, naming the member', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // the standard check value
  const z = zipSync({ 'arr_0.npy': labelsNpy(20) }, { level: 0 });
  const bad = z.slice();
  bad[dataOffset(z) + 200] ^= 0x01; // one bit of one label
  expectFsmtlError(() => parseNpz(bad, 'k.npz'), 'k.npz', 'arr_0.npy', 'CRC-32');
});

test('npz: a flipped bit in a deflate stream that still inflates to the right length is refused', () => {
  const npy = labelsNpy(10_000);
  const z = zipSync({ 'arr_0.npy': npy }, { level: 6 });
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const start = dataOffset(z);
  const csize = v.getUint32(18, true);
  // Find a bit whose flip leaves a valid stream of the same length but other bytes (the silent case).
  let found: Uint8Array | null = null;
  for (let bit = Math.floor(csize / 2) * 8; bit < csize * 8 && !found; bit++) {
    const bad = z.slice();
    bad[start + (bit >> 3)] ^= 1 << (bit & 7);
    let out: Uint8Array;
    try {
      out = inflateSync(bad.subarray(start, start + csize));
    } catch {
      continue;
    }
    if (out.length === npy.length && out.some((x, i) => x !== npy[i])) found = bad;
  }
  assert.ok(found, 'no silent bit flip found');
  expectFsmtlError(() => parseNpz(found, 'k.npz'), 'k.npz', 'arr_0.npy', 'CRC-32');
});

test('npz: the local header must agree with the central directory on the name and sizes', () => {
  const z = zipSync({ 'arr_0.npy': labelsNpy(4) }, { level: 0 });
  const renamed = z.slice();
  renamed[30 + 4] = '9'.charCodeAt(0); // local name arr_9.npy, central directory still arr_0.npy
  expectFsmtlError(() => parseNpz(renamed, 'n.npz'), 'n.npz', 'arr_0.npy', 'arr_9.npy');
  const resized = z.slice();
  new DataView(resized.buffer).setUint32(22, 7, true); // local uncompressed size
  expectFsmtlError(() => parseNpz(resized, 's.npz'), 's.npz', 'arr_0.npy', 'size');
  const recrc = z.slice();
  recrc[14] ^= 0x01; // local CRC-32
  expectFsmtlError(() => parseNpz(recrc, 'c.npz'), 'c.npz', 'arr_0.npy', 'CRC-32');
});

test('npz: files written by NumPy (zip64 local headers) and zips with data descriptors are read', () => {
  const labels = Array.from({ length: 50 }, (_, i) => BigInt((i * 3 + 1) % 10));
  const imgs = Array.from({ length: 24 }, (_, i) => (i * 7) % 256);
  for (const f of ['numpy-savez.npz', 'numpy-savez-compressed.npz']) {
    const npz = readNpzFile(join(import.meta.dirname, '..', 'fixtures', f));
    assert.deepEqual(npz.arr_0.shape, [2, 3, 4]);
    assert.deepEqual([...npz.arr_0.data], imgs, f);
    assert.deepEqual([...(npz.labels.data as BigInt64Array)], labels, f);
  }
  // fflate's streaming Zip writes sizes and CRC in a data descriptor after the data (flag bit 3).
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  const npy = labelsNpy(30);
  for (const [name, Member] of [['arr_0.npy', ZipDeflate], ['b.npy', ZipPassThrough]] as const) {
    const m = new Member(name);
    zip.add(m);
    m.push(npy, true);
  }
  zip.end();
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((o, c) => (bytes.set(c, o), o + c.length), 0);
  const npz = parseNpz(bytes, 'dd.npz');
  assert.deepEqual([...npz.arr_0.data], [...parseNpy(npy, 'x').data]);
  assert.deepEqual([...npz.b.data], [...parseNpy(npy, 'x').data]);
});

test("npz: members named like Object's own properties are arrays like any other; member names in messages stay on one line", () => {
  const u8 = (v: number) => makeNpy(npyHeader('|u1', [1]), Uint8Array.of(v));
  const npz = parseNpz(zipSync({ 'toString.npy': u8(1), '__proto__.npy': u8(2), 'x.npy': u8(3) }), 'odd.npz');
  assert.deepEqual(Object.keys(npz).sort(), ['__proto__', 'toString', 'x']);
  assert.deepEqual([...npzArray(npz, '__proto__', 'odd.npz').data], [2]);
  assert.deepEqual([...npzArray(npz, 'toString', 'odd.npz').data], [1]);
  assert.equal(Object.getPrototypeOf(npz), Object.prototype);
  expectFsmtlError(() => npzArray(npz, 'constructor', 'odd.npz'), "odd.npz: no array 'constructor'");
  // A name holding a line break (and a long one) is escaped and cut in the message.
  const msg = expectFsmtlError(() => parseNpz(zipSync({ [`a\nb${'c'.repeat(200)}.txt`]: u8(1) }), 'nl.npz'), 'nl.npz', "unexpected member 'a\\u000ab");
  assert.ok(msg.length < 200, msg);
});
