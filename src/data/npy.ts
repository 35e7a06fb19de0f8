// NumPy .npy (format versions 1.0, 2.0, 3.0) and .npz (a zip of .npy files, stored or deflated) readers.
// Only C-order arrays of plain numeric dtypes are decoded; everything else is rejected with an
// FsmtlError naming the file.
import { inflateSync } from 'fflate';
import { crc32 } from '../util/crc32.js';
import { FsmtlError, oneLine } from '../util/errors.js';
import { readCached } from './cache.js';

export type NpyDtype =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64';

export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export interface NpyArray {
  /** Shape from the header; [] for a scalar. */
  shape: number[];
  /** Element type (bool is returned as a Uint8Array of 0/1; 64-bit integers as BigInt arrays). */
  dtype: NpyDtype;
  /** The header's dtype descriptor as written, e.g. '<f4', '|u1'. */
  descr: string;
  /** Elements in C (row-major) order, converted to the host's byte order. */
  data: NpyData;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPES: Record<string, { dtype: NpyDtype; make: (buf: ArrayBuffer, off: number, n: number) => NpyData }> = {
  b1: { dtype: 'bool', make: (b, o, n) => new Uint8Array(b, o, n) },
  i1: { dtype: 'int8', make: (b, o, n) => new Int8Array(b, o, n) },
  u1: { dtype: 'uint8', make: (b, o, n) => new Uint8Array(b, o, n) },
  i2: { dtype: 'int16', make: (b, o, n) => new Int16Array(b, o, n) },
  u2: { dtype: 'uint16', make: (b, o, n) => new Uint16Array(b, o, n) },
  i4: { dtype: 'int32', make: (b, o, n) => new Int32Array(b, o, n) },
  u4: { dtype: 'uint32', make: (b, o, n) => new Uint32Array(b, o, n) },
  i8: { dtype: 'int64', make: (b, o, n) => new BigInt64Array(b, o, n) },
  u8: { dtype: 'uint64', make: (b, o, n) => new BigUint64Array(b, o, n) },
  f4: { dtype: 'float32', make: (b, o, n) => new Float32Array(b, o, n) },
  f8: { dtype: 'float64', make: (b, o, n) => new Float64Array(b, o, n) },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- A tiny parser for the header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (10000, 28, 28), }
type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

class HeaderParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly name: string,
  ) {}

  fail(what: string): never {
    throw new FsmtlError(`${this.name}: bad .npy header (${what}): ${JSON.stringify(this.s.trim().slice(0, 200))}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  parseTop(): PyValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail(`unexpected text at offset ${this.i}`);
    return v;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end');
    if (c === "'" || c === '"') {
      const end = this.s.indexOf(c, this.i + 1);
      if (end < 0) this.fail('unterminated string');
      const str = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return str;
    }
    if (c === '{') return this.dict();
    if (c === '(' || c === '[') return this.seq(c === '(' ? ')' : ']');
    const m = /^(True|False|None|-?\d+)(L)?/.exec(this.s.slice(this.i));
    if (!m) this.fail(`unexpected character ${JSON.stringify(c)} at offset ${this.i}`);
    this.i += m[0].length;
    if (m[1] === 'True') return true;
    if (m[1] === 'False') return false;
    if (m[1] === 'None') return null;
    return Number(m[1]);
  }

  private seq(close: string): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}' at offset ${this.i}`);
    }
  }

  private dict(): { [k: string]: PyValue } {
    this.i++;
    const out: { [k: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      if (typeof k !== 'string') this.fail('dict key is not a string');
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected ':' at offset ${this.i}`);
      this.i++;
      Object.defineProperty(out, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail(`expected ',' or '}' at offset ${this.i}`);
    }
  }
}

/** Parses the bytes of a .npy file. `name` (usually the path) prefixes every error message. */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  for (let k = 0; k < NPY_MAGIC.length; k++) {
    if (bytes[k] !== NPY_MAGIC[k]) {
      throw new FsmtlError(`${name}: not a .npy file (missing the \\x93NUMPY magic string)`);
    }
  }
  if (bytes.length < 10) throw new FsmtlError(`${name}: truncated .npy header (${bytes.length} bytes)`);
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3) {
    throw new FsmtlError(`${name}: unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else {
    if (bytes.length < 12) throw new FsmtlError(`${name}: truncated .npy header (${bytes.length} bytes)`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  }
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart) {
    throw new FsmtlError(`${name}: truncated .npy header: header length ${headerLen} needs ${dataStart} bytes, file has ${bytes.length}`);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const header = new HeaderParser(headerText, name).parseTop();
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new FsmtlError(`${name}: bad .npy header: not a dict`);
  }
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string') {
    throw new FsmtlError(`${name}: unsupported dtype ${JSON.stringify(descr)}: structured dtypes are not supported`);
  }
  if (typeof fortran !== 'boolean') throw new FsmtlError(`${name}: bad .npy header: 'fortran_order' missing or not True/False`);
  if (fortran) {
    throw new FsmtlError(`${name}: fortran_order is True: only C-order arrays are supported (save with np.ascontiguousarray)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new FsmtlError(`${name}: bad .npy header: 'shape' is not a tuple of non-negative integers: ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const m = /^([<>|=])([biuf])(\d+)$/.exec(descr);
  const spec = m ? DTYPES[m[2] + m[3]] : undefined;
  if (!m || !spec) {
    throw new FsmtlError(
      `${name}: unsupported dtype '${descr}' (supported: b1, i1, u1, i2, u2, i4, u4, i8, u8, f4, f8, little- or big-endian)`,
    );
  }
  const itemSize = Number(m[3]);
  const order = m[1];
  if (order === '|' && itemSize !== 1) throw new FsmtlError(`${name}: bad dtype '${descr}': '|' (no byte order) is only valid for 1-byte types`);
  const bigEndian = order === '>' || (order === '=' && !HOST_LITTLE_ENDIAN);
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * itemSize;
  const payload = bytes.length - dataStart;
  const desc = `shape (${dims.join(', ')}) of ${descr} = ${expected} bytes`;
  if (payload < expected) throw new FsmtlError(`${name}: truncated: header says ${desc}, file has ${payload}`);
  if (payload > expected) throw new FsmtlError(`${name}: ${payload - expected} trailing bytes: header says ${desc}, file has ${payload}`);

  let data: NpyData;
  if (itemSize === 1) {
    data = spec.make(bytes.buffer as ArrayBuffer, bytes.byteOffset + dataStart, count);
  } else {
    // Copy into a fresh, aligned buffer; swap bytes if the file's order differs from the host's.
    const copy = bytes.slice(dataStart, dataStart + expected);
    if (bigEndian === HOST_LITTLE_ENDIAN) {
      for (let o = 0; o < expected; o += itemSize) {
        for (let a = o, b = o + itemSize - 1; a < b; a++, b--) {
          const t = copy[a];
          copy[a] = copy[b];
          copy[b] = t;
        }
      }
    }
    data = spec.make(copy.buffer, 0, count);
  }
  if (spec.dtype === 'bool') {
    const u = data as Uint8Array;
    for (let i = 0; i < u.length; i++) {
      if (u[i] > 1) throw new FsmtlError(`${name}: bool array holds value ${u[i]} at index ${i}`);
    }
  }
  return { shape: dims, dtype: spec.dtype, descr, data };
}

// ---- Zip container. fflate's unzipSync neither checks the members' CRC-32 (one flipped bit in a
// deflate stream can still inflate to an array of the right size, silently changing it) nor compares
// the local headers with the central directory, so the archive is walked here and fflate only inflates.

const hex32 = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

/** A member name as it may appear in a one-line message. */
const shown = (s: string) => oneLine(s, 80);

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
}

/**
 * Reads the zip64 extended-information extra field: the 8-byte values present are those whose 32-bit
 * field holds 0xFFFFFFFF, in the order uncompressed size, compressed size, local header offset.
 */
function zip64Sizes(v: DataView, at: number, len: number, fields: number[], fail: (what: string) => never): number[] {
  const out = fields.slice();
  for (let p = at; p + 4 <= at + len; ) {
    const id = v.getUint16(p, true);
    const size = v.getUint16(p + 2, true);
    if (p + 4 + size > at + len) fail('extra field runs past its header');
    if (id === 0x0001) {
      let q = p + 4;
      for (let k = 0; k < out.length; k++) {
        if (out[k] !== 0xffffffff) continue;
        if (q + 8 > p + 4 + size) fail('zip64 extra field too short');
        const big = v.getBigUint64(q, true);
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) fail('zip64 size too large');
        out[k] = Number(big);
        q += 8;
      }
      return out;
    }
    p += 4 + size;
  }
  return out;
}

/** The central directory's entries, each checked against its local header. */
function zipEntries(bytes: Uint8Array, name: string): ZipEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (what: string): never => {
    throw new FsmtlError(`${name}: corrupt .npz (zip) archive (${what})`);
  };
  const u16 = (o: number) => (o + 2 <= bytes.length ? v.getUint16(o, true) : corrupt('truncated'));
  const u32 = (o: number) => (o + 4 <= bytes.length ? v.getUint32(o, true) : corrupt('truncated'));
  // End of central directory record (22 bytes plus a comment of at most 65535).
  let eocd = -1;
  for (let e = bytes.length - 22; e >= 0 && e >= bytes.length - 22 - 0xffff; e--) {
    if (v.getUint32(e, true) === 0x06054b50) {
      eocd = e;
      break;
    }
  }
  if (eocd < 0) corrupt('no end of central directory record');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== 0x07064b50) corrupt('zip64 end of central directory locator missing');
    const rec = Number(v.getBigUint64(loc + 8, true));
    if (rec + 56 > bytes.length || u32(rec) !== 0x06064b50) corrupt('zip64 end of central directory record missing');
    count = Number(v.getBigUint64(rec + 32, true));
    cdSize = Number(v.getBigUint64(rec + 40, true));
    cdOffset = Number(v.getBigUint64(rec + 48, true));
  }
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (u32(p) !== 0x02014b50) corrupt(`central directory entry ${k} not found`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    if (p + 46 + nameLen + extraLen > bytes.length) corrupt('truncated central directory');
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    const member = (flags & 0x800 ? utf8 : latin1).decode(nameBytes);
    const fail = (what: string): never => {
      throw new FsmtlError(`${name}[${shown(member)}]: corrupt .npz (zip) member (${what})`);
    };
    const [usize, csize, offset] = zip64Sizes(v, p + 46 + nameLen, extraLen, [u32(p + 24), u32(p + 20), u32(p + 42)], fail);
    if (flags & 0x1) throw new FsmtlError(`${name}[${shown(member)}]: encrypted zip members are not supported`);
    // The local header must describe the same member as the central directory.
    if (u32(offset) !== 0x04034b50) fail(`no local header at offset ${offset}`);
    const lNameLen = u16(offset + 26);
    const lExtraLen = u16(offset + 28);
    if (offset + 30 + lNameLen + lExtraLen > bytes.length) fail('truncated local header');
    const lName = bytes.subarray(offset + 30, offset + 30 + lNameLen);
    if (lName.length !== nameBytes.length || lName.some((b, i) => b !== nameBytes[i])) {
      fail(`local header names it '${shown((flags & 0x800 ? utf8 : latin1).decode(lName))}'`);
    }
    if (u16(offset + 8) !== method) fail(`compression method ${u16(offset + 8)} in the local header, ${method} in the central directory`);
    // With a data descriptor (flag bit 3) the local header's CRC and sizes may be zero.
    const lFlags = u16(offset + 6);
    const lCrc = u32(offset + 14);
    const [lUsize, lCsize] = zip64Sizes(v, offset + 30 + lNameLen, lExtraLen, [u32(offset + 22), u32(offset + 18)], fail);
    if (!(lFlags & 0x8) || lCrc !== 0) {
      if (lCrc !== crc) fail(`CRC-32 ${hex32(lCrc)} in the local header, ${hex32(crc)} in the central directory`);
    }
    if (!(lFlags & 0x8) || lUsize !== 0 || lCsize !== 0) {
      if (lUsize !== usize || lCsize !== csize) {
        fail(`local header sizes ${lCsize}/${lUsize} (compressed/uncompressed), central directory ${csize}/${usize}`);
      }
    }
    const dataStart = offset + 30 + lNameLen + lExtraLen;
    if (dataStart + csize > bytes.length) fail(`data runs past the end of the file (${csize} bytes at ${dataStart})`);
    entries.push({ name: member, flags, method, crc, csize, usize, offset: dataStart });
    p += 46 + nameLen + extraLen + commentLen;
  }
  // The entry count and the directory's size must agree (a damaged count would drop members).
  if (p - cdOffset !== cdSize) corrupt(`central directory of ${count} entries is ${p - cdOffset} bytes, the end record says ${cdSize}`);
  return entries;
}

/** Parses the bytes of a .npz archive (stored or deflated members) into arrays keyed by name without '.npy'. */
export function parseNpz(bytes: Uint8Array, name: string): Record<string, NpyArray> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new FsmtlError(`${name}: not an .npz file (not a zip archive)`);
  }
  const out: Record<string, NpyArray> = {};
  for (const e of zipEntries(bytes, name)) {
    const where = `${name}[${shown(e.name)}]`;
    if (e.name.endsWith('/')) continue;
    if (!e.name.endsWith('.npy')) {
      throw new FsmtlError(`${name}: unexpected member '${shown(e.name)}' in .npz archive (expected only .npy files)`);
    }
    const key = e.name.slice(0, -4);
    if (Object.hasOwn(out, key)) throw new FsmtlError(`${name}: member '${shown(e.name)}' appears twice in the .npz archive`);
    const raw = bytes.subarray(e.offset, e.offset + e.csize);
    let content: Uint8Array;
    if (e.method === 0) content = raw;
    else if (e.method === 8) {
      try {
        content = inflateSync(raw);
      } catch (err) {
        throw new FsmtlError(`${where}: corrupt deflate stream (${(err as Error).message})`);
      }
    } else throw new FsmtlError(`${where}: unsupported zip compression method ${e.method} (supported: stored, deflate)`);
    if (content.length !== e.usize) {
      throw new FsmtlError(`${where}: corrupt .npz member: ${content.length} bytes after decompression, the archive says ${e.usize}`);
    }
    const crc = crc32(content);
    if (crc !== e.crc) {
      throw new FsmtlError(`${where}: CRC-32 mismatch (archive says ${hex32(e.crc)}, data has ${hex32(crc)}): the .npz file is corrupt`);
    }
    // defineProperty: a member named '__proto__.npy' must be an array, not the object's prototype.
    Object.defineProperty(out, key, { value: parseNpy(content, where), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Returns one array of an .npz, with an error listing the keys present if it is missing. */
export function npzArray(npz: Record<string, NpyArray>, key: string, name: string): NpyArray {
  const a = Object.hasOwn(npz, key) ? npz[key] : undefined;
  if (!a) {
    const keys = Object.keys(npz);
    throw new FsmtlError(`${name}: no array '${key}' in .npz (has: ${keys.length ? keys.join(', ') : 'nothing'})`);
  }
  return a;
}

/** Reads and parses a .npy file (cached per process by path). */
export function readNpyFile(path: string): NpyArray {
  return readCached('npy', path, parseNpy);
}

/** Reads and parses a .npz file (cached per process by path). */
export function readNpzFile(path: string): Record<string, NpyArray> {
  return readCached('npz', path, parseNpz);
}
