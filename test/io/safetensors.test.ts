import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, writeSafetensorsFile, type SafeTensor } from '../../src/io/safetensors.js';
import { expectFsmtlError, tempDir } from '../data/helpers.js';

const sample = (): [string, SafeTensor][] => [
  ['w', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([0.5, -1, 2.25, 3, -0, 1e-7]) }],
  ['mask/a', { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 0, 1]) }],
  ['idx', { dtype: 'I32', shape: [2], data: Int32Array.from([-5, 7]) }],
  ['d', { dtype: 'U16', shape: [1, 2], data: Uint16Array.from([65535, 1]) }],
  ['big', { dtype: 'I64', shape: [1], data: BigInt64Array.from([-3n]) }],
  ['f64', { dtype: 'F64', shape: [], data: Float64Array.from([Math.PI]) }],
  ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
];

/** A file from a header object and a data section, as a corrupt writer might make it. */
function rawFile(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const h = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function headerOf(bytes: Uint8Array): { n: number; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

test('round trip: tensors -> bytes -> tensors -> identical bytes', () => {
  const bytes = encodeSafetensors(sample(), { format: 'x', note: 'ü "quoted"' });
  const f = decodeSafetensors(bytes, 'mem');
  assert.deepEqual(f.metadata, { format: 'x', note: 'ü "quoted"' });
  assert.deepEqual([...f.tensors.keys()], sample().map(([k]) => k));
  for (const [k, t] of sample()) {
    const got = f.tensors.get(k)!;
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual(Array.from(got.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), k);
  }
  assert.ok(Object.is((f.tensors.get('w')!.data as Float32Array)[4], -0), 'bits preserved (-0)');
  assert.deepEqual(encodeSafetensors(f.tensors, f.metadata), bytes);
});

test('layout is the one Python safetensors reads: u64 LE header length, JSON header, contiguous offsets from 0', () => {
  const bytes = encodeSafetensors(sample(), { k: 'v' });
  const { n, header } = headerOf(bytes);
  assert.equal(n % 8, 0, 'header padded to 8 bytes (like the reference writer)');
  assert.equal(new DataView(bytes.buffer).getUint32(4, true), 0, 'high word of the length');
  assert.match(new TextDecoder().decode(bytes.subarray(8, 8 + n)), /^\{.*\} *$/);
  assert.deepEqual(header.__metadata__, { k: 'v' });
  let at = 0;
  for (const [name, t] of sample()) {
    const e = header[name];
    assert.deepEqual(e.data_offsets, [at, at + t.data.byteLength], name);
    assert.deepEqual(e.shape, t.shape);
    // Little-endian payload at 8 + n + begin.
    assert.deepEqual(bytes.subarray(8 + n + at, 8 + n + at + t.data.byteLength), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    at += t.data.byteLength;
  }
  assert.equal(bytes.length, 8 + n + at);
  assert.equal(new DataView(bytes.buffer).getFloat32(8 + n + 4, true), -1);
});

test('reads a file written by Python safetensors 0.8.0 and writes it back byte for byte', () => {
  // save_file({'a': np.arange(6, dtype=np.float32).reshape(2, 3), 'm': np.array([1, 0, 1], dtype=np.uint8)}, f, metadata={'x': 'y'})
  const hex =
    '88000000000000007b225f5f6d657461646174615f5f223a7b2278223a2279227d2c2261223a7b226474797065223a22463332222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b302c32345d7d2c226d223a7b226474797065223a225538222c227368617065223a5b335d2c22646174615f6f666673657473223a5b32342c32375d7d7d000000000000803f0000004000004040000080400000a040010001';
  const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
  const f = decodeSafetensors(bytes, 'python.safetensors');
  assert.deepEqual(f.metadata, { x: 'y' });
  assert.deepEqual(Array.from(f.tensors.get('a')!.data as Float32Array), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(f.tensors.get('a')!.shape, [2, 3]);
  assert.deepEqual(Array.from(f.tensors.get('m')!.data as Uint8Array), [1, 0, 1]);
  assert.deepEqual(encodeSafetensors(f.tensors, f.metadata), bytes);
});

test('unaligned data is copied, not misread', () => {
  const bytes = encodeSafetensors([
    ['b', { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) }],
    ['f', { dtype: 'F32', shape: [2], data: Float32Array.from([1.5, -2.5]) }],
  ]);
  assert.deepEqual(Array.from(decodeSafetensors(bytes, 'm').tensors.get('f')!.data as Float32Array), [1.5, -2.5]);
});

test('every corruption is an FsmtlError naming the file and the problem', () => {
  const name = '/some/dir/model.safetensors';
  const data = new Uint8Array(16);
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'U8', shape: [8], data_offsets: [8, 16] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /shorter than the 8-byte header length/],
    ['length past the end', rawFile(ok, data).subarray(0, 30), /header length \d+ runs past the end of the file/],
    ['huge length', (() => { const b = rawFile(ok, data); new DataView(b.buffer).setUint32(4, 7, true); return b; })(), /header length \d+ is larger than/],
    ['truncated data', rawFile(ok, data).subarray(0, rawFile(ok, data).length - 3), /out of range \(data section is 13 bytes; truncated\?\)/],
    ['invalid JSON', rawFile(null, data, '{"a": {"dtype": "F32",'), /header is not valid JSON/],
    ['not an object', rawFile([1, 2], data), /header is not a JSON object/],
    ['unknown dtype', rawFile({ ...ok, a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, data), /tensor 'a' has unknown dtype "F33"/],
    ['bad shape', rawFile({ ...ok, a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data), /tensor 'a' has a bad shape/],
    ['size mismatch', rawFile({ ...ok, a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['offsets reversed', rawFile({ ...ok, a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, data), /out of range/],
    ['overlap', rawFile({ ...ok, b: { dtype: 'U8', shape: [8], data_offsets: [4, 12] } }, data), /overlaps the previous tensor/],
    ['gap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'U8', shape: [4], data_offsets: [12, 16] } }, data), /gap in the data section: bytes 8-12/],
    ['not from 0', rawFile({ b: { dtype: 'U8', shape: [8], data_offsets: [8, 16] } }, data), /gap in the data section: bytes 0-8/],
    ['trailing bytes', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data), /cover 8 bytes of the 16-byte data section/],
    ['metadata not strings', rawFile({ ...ok, __metadata__: { n: 3 } }, data), /value of 'n' is not a string/],
    ['bad offsets', rawFile({ ...ok, a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, data), /bad data_offsets/],
    ['bool not 0/1', rawFile({ a: { dtype: 'BOOL', shape: [16], data_offsets: [0, 16] } }, Uint8Array.from({ length: 16 }, (_, i) => (i === 3 ? 7 : 1))), /holds the byte 7 at element 3/],
  ];
  // The well-formed base case decodes.
  assert.equal(decodeSafetensors(rawFile(ok, data), name).tensors.size, 2);
  for (const [what, bytes, pattern] of cases) {
    const msg = expectFsmtlError(() => decodeSafetensors(bytes, name), name, pattern);
    assert.ok(msg.startsWith(`${name}: not a valid safetensors file: `), `${what}: ${msg}`);
  }
});

test('file helpers: atomic write (no temp file left), errors name the path', () => {
  const dir = tempDir();
  const path = join(dir, 'sub', 'm.safetensors');
  const size = writeSafetensorsFile(path, sample(), { a: 'b' });
  assert.equal(readFileSync(path).length, size);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['m.safetensors']);
  assert.equal(readSafetensorsFile(path).metadata.a, 'b');
  expectFsmtlError(() => readSafetensorsFile(join(dir, 'nope.safetensors'), 'checkpoint'), /cannot read checkpoint .*nope\.safetensors: no such file/);
  writeFileSync(path, readFileSync(path).subarray(0, size - 5));
  expectFsmtlError(() => readSafetensorsFile(path), path, /truncated/);
  // A failed write leaves neither the target nor a temp file.
  const blocked = join(dir, 'file-not-dir');
  writeFileSync(blocked, 'x');
  expectFsmtlError(() => writeSafetensorsFile(join(blocked, 'm.safetensors'), sample()), /cannot write .*file-not-dir/);
  assert.ok(!existsSync(join(blocked, 'm.safetensors')));
});
