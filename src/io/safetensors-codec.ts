// The safetensors container (https://huggingface.co/docs/safetensors), as pure functions on bytes:
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   a JSON object {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}
//   the rest  the tensors' raw little-endian data; offsets are relative to the end of the header
// The reader checks everything the reference (Rust) implementation checks, and names the file in
// every error: offsets must tile the data buffer exactly, from 0, without gaps or overlaps.
// No I/O and no Node imports, so that the TensorFlow.js-free predictor can run it in browsers.
import { FsmtlError, oneLine } from '../util/errors.js';

export type SafeDtype = 'BOOL' | 'U8' | 'I8' | 'U16' | 'I16' | 'F16' | 'BF16' | 'U32' | 'I32' | 'F32' | 'U64' | 'I64' | 'F64';

/** Bytes per element of each dtype safetensors defines (the FP8 types are not supported). */
export const DTYPE_BYTES: Record<SafeDtype, number> = {
  BOOL: 1, U8: 1, I8: 1, U16: 2, I16: 2, F16: 2, BF16: 2, U32: 4, I32: 4, F32: 4, U64: 8, I64: 8, F64: 8,
};

export type SafeData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | BigUint64Array
  | BigInt64Array
  | Float64Array;

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  /** Elements in row-major order (F16/BF16 as their raw 16-bit patterns in a Uint16Array, BOOL as 0/1 bytes). */
  data: SafeData;
}

export interface SafeFile {
  /** Tensors in file (offset) order. */
  tensors: Map<string, SafeTensor>;
  /** The header's "__metadata__" (empty if absent). */
  metadata: Record<string, string>;
}

const MAKE: Record<SafeDtype, (b: ArrayBuffer, o: number, n: number) => SafeData> = {
  BOOL: (b, o, n) => new Uint8Array(b, o, n),
  U8: (b, o, n) => new Uint8Array(b, o, n),
  I8: (b, o, n) => new Int8Array(b, o, n),
  U16: (b, o, n) => new Uint16Array(b, o, n),
  I16: (b, o, n) => new Int16Array(b, o, n),
  F16: (b, o, n) => new Uint16Array(b, o, n),
  BF16: (b, o, n) => new Uint16Array(b, o, n),
  U32: (b, o, n) => new Uint32Array(b, o, n),
  I32: (b, o, n) => new Int32Array(b, o, n),
  F32: (b, o, n) => new Float32Array(b, o, n),
  U64: (b, o, n) => new BigUint64Array(b, o, n),
  I64: (b, o, n) => new BigInt64Array(b, o, n),
  F64: (b, o, n) => new Float64Array(b, o, n),
};

/** The reference implementation refuses headers above 100 MB; so do we (it also bounds a corrupt length). */
export const MAX_HEADER_BYTES = 100_000_000;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(): void {
  if (!HOST_LITTLE_ENDIAN) throw new FsmtlError('safetensors: big-endian hosts are not supported');
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Encodes tensors (in the iteration order given) and string metadata. The header is padded with
 * spaces to a multiple of 8 bytes, as the reference writer does, so that the data starts aligned.
 */
export function encodeSafetensors(tensors: Iterable<[string, SafeTensor]> | Map<string, SafeTensor>, metadata: Record<string, string> = {}): Uint8Array {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new FsmtlError("safetensors: '__metadata__' cannot be a tensor name");
    if (name in header) throw new FsmtlError(`safetensors: duplicate tensor name '${name}'`);
    const bytes = count(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new FsmtlError(`safetensors: tensor '${name}' has ${t.data.byteLength} bytes, its shape [${t.shape.join(', ')}] of ${t.dtype} needs ${bytes}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const n = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(n - jsonBytes.length);
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(new TextEncoder().encode(json), 8);
  let o = 8 + n;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Parses safetensors bytes; `name` (usually the path) starts every error message. Tensor data are
 * views into `bytes` where aligned for their dtype, copies otherwise.
 */
export function decodeSafetensors(bytes: Uint8Array, name: string): SafeFile {
  assertLittleEndianHost();
  const fail = (what: string): never => {
    throw new FsmtlError(`${name}: not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} is larger than the ${MAX_HEADER_BYTES}-byte limit (corrupt or not safetensors)`);
  const n = Number(n64);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataLen = bytes.length - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, v] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('"__metadata__" is not an object');
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(`"__metadata__" value of '${mk}' is not a string`);
        metadata[mk] = mv as string;
      }
      continue;
    }
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`entry '${key}' is not an object`);
    const { dtype, shape, data_offsets: offs } = info;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      fail(`tensor '${key}' has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const isDim = (d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
    if (!Array.isArray(shape) || !shape.every(isDim)) fail(`tensor '${key}' has a bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isDim)) {
      fail(`tensor '${key}' has bad data_offsets ${JSON.stringify(offs)} (expected [begin, end], non-negative integers)`);
    }
    const [begin, end] = offs as number[];
    if (begin > end || end > dataLen) {
      fail(`tensor '${key}' has data_offsets [${begin}, ${end}] out of range (data section is ${dataLen} bytes; truncated?)`);
    }
    const d = dtype as SafeDtype;
    const want = count(shape as number[]) * DTYPE_BYTES[d];
    if (want !== end - begin) {
      fail(`tensor '${key}': shape [${(shape as number[]).join(', ')}] of ${d} needs ${want} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ key, dtype: d, shape: shape as number[], begin, end });
  }
  // The offsets must tile [0, dataLen): sorted, each tensor starting where the previous ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) fail(`tensor '${e.key}' (bytes ${e.begin}-${e.end}) overlaps the previous tensor (which ends at ${at})`);
    if (e.begin > at) fail(`gap in the data section: bytes ${at}-${e.begin} belong to no tensor (next is '${e.key}')`);
    at = e.end;
  }
  if (at !== dataLen) fail(`the tensors cover ${at} bytes of the ${dataLen}-byte data section (${dataLen - at} trailing bytes)`);

  const tensors = new Map<string, SafeTensor>();
  const start = bytes.byteOffset + 8 + n;
  for (const e of entries) {
    const size = DTYPE_BYTES[e.dtype];
    const elems = (e.end - e.begin) / size;
    let data: SafeData;
    if ((start + e.begin) % size === 0) data = MAKE[e.dtype](bytes.buffer as ArrayBuffer, start + e.begin, elems);
    else data = MAKE[e.dtype](bytes.slice(8 + n + e.begin, 8 + n + e.end).buffer, 0, elems); // unaligned: copy
    if (e.dtype === 'BOOL') {
      const u = data as Uint8Array;
      for (let i = 0; i < u.length; i++) if (u[i] > 1) fail(`BOOL tensor '${e.key}' holds the byte ${u[i]} at element ${i}`);
    }
    tensors.set(e.key, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

