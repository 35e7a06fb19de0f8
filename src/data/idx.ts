// IDX reader (the MNIST file format): big-endian header `00 00 <dtype> <ndims>`, ndims uint32
// dimensions, then the row-major payload. Files may be gzip-compressed; that is detected from the
// gzip magic bytes (1f 8b), never from the file name.
import { gunzipSync } from 'fflate';
import { crc32 } from '../util/crc32.js';
import { FsmtlError } from '../util/errors.js';
import { readCached } from './cache.js';

export interface IdxArray {
  /** Element type; only uint8 is decoded. */
  dtype: 'uint8';
  /** Dimensions from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The payload, row-major; length is the product of dims. */
  data: Uint8Array;
}

const IDX_DTYPES: Record<number, string> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Most dimensions accepted in a header; real files have 1 to 4. */
const MAX_IDX_DIMS = 16;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip data if it starts with the gzip magic bytes; otherwise returns it unchanged. */
export function maybeGunzip(bytes: Uint8Array, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  // A gzip member is at least a 10-byte header and an 8-byte trailer. fflate sizes its output from the
  // trailer's length field: a damaged one would have it allocate (and us checksum) gigabytes, so a length
  // that deflate cannot reach from this many bytes (at most about 1032:1) is refused first.
  if (bytes.length < 18) throw new FsmtlError(`${name}: corrupt gzip data (${bytes.length} bytes, shorter than a gzip header and trailer)`);
  const claimed = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  if (claimed > (bytes.length - 18) * 1032 + 1024) {
    throw new FsmtlError(`${name}: corrupt gzip data (its trailer claims ${claimed} bytes, more than ${bytes.length - 18} compressed bytes can hold)`);
  }
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (e) {
    throw new FsmtlError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
  // fflate checks neither the trailer's CRC-32 nor its length (mod 2^32): check them here.
  const t = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  if (t.getUint32(0, true) !== crc32(out)) throw new FsmtlError(`${name}: corrupt gzip data (CRC-32 does not match)`);
  if (t.getUint32(4, true) !== out.length % 2 ** 32) throw new FsmtlError(`${name}: corrupt gzip data (length does not match)`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

/** Parses an IDX file's bytes (raw or gzip). `name` (usually the path) prefixes every error message. */
export function parseIdx(input: Uint8Array, name: string): IdxArray {
  const bytes = maybeGunzip(input, name);
  if (bytes.length < 4) {
    throw new FsmtlError(`${name}: not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FsmtlError(
      `${name}: not an IDX file: bad magic number ${hex32(magic)} (expected 0x000008NN, e.g. 0x00000803 for images, 0x00000801 for labels)`,
    );
  }
  const dtypeByte = bytes[2];
  const ndims = bytes[3];
  const dtypeName = IDX_DTYPES[dtypeByte];
  if (dtypeName === undefined) {
    throw new FsmtlError(`${name}: bad magic number ${hex32(magic)}: unknown IDX type byte 0x${dtypeByte.toString(16).padStart(2, '0')}`);
  }
  if (dtypeName !== 'uint8') {
    throw new FsmtlError(`${name}: unsupported IDX element type ${dtypeName} (magic ${hex32(magic)}); only uint8 (0x08) is supported`);
  }
  if (ndims === 0 || ndims > MAX_IDX_DIMS) {
    throw new FsmtlError(`${name}: bad magic number ${hex32(magic)}: ${ndims} dimensions (expected 1 to ${MAX_IDX_DIMS})`);
  }
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new FsmtlError(
      `${name}: truncated header: ${ndims} dimensions need ${headerLen} header bytes, file has ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const payload = bytes.length - headerLen;
  const shape = `${dims.join('×')} = ${expected} bytes`;
  if (payload < expected) {
    throw new FsmtlError(`${name}: truncated: header says ${shape}, file has ${payload}`);
  }
  if (payload > expected) {
    throw new FsmtlError(`${name}: ${payload - expected} trailing bytes: header says ${shape}, file has ${payload}`);
  }
  return { dtype: 'uint8', dims, data: bytes.subarray(headerLen) };
}

/** Checks the number of dimensions of a parsed IDX array (3 for images, 1 for labels). */
export function expectIdxDims(arr: IdxArray, ndims: number, name: string, what: string): void {
  if (arr.dims.length !== ndims) {
    throw new FsmtlError(
      `${name}: expected ${what} (a ${ndims}-D IDX array, magic 0x0000080${ndims}), got ${arr.dims.length}-D (${arr.dims.join('×')})`,
    );
  }
}

/** Reads and parses an IDX file (raw or gzip). Decoded files are cached per process by path. */
export function readIdxFile(path: string): IdxArray {
  return readCached('idx', path, parseIdx);
}
