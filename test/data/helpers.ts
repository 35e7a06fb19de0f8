// Builders of small, valid data files for the data tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsmtlError } from '../../src/util/errors.js';

export const SHARED = process.env.FSMTL_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data');

/** IDX bytes: magic 00 00 <dtype> <ndims>, big-endian dims, payload. */
export function makeIdx(dims: number[], payload: Uint8Array, dtype = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  out[2] = dtype;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

/** .npy bytes with the given header dict text, format version and payload. */
export function makeNpy(header: string, payload: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  let h = header;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const hb = new TextEncoder().encode(h);
  const out = new Uint8Array(pre + hb.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, hb.length, true);
  else v.setUint32(8, hb.length, true);
  out.set(hb, pre);
  out.set(payload, pre + hb.length);
  return out;
}

export function npyHeader(descr: string, shape: number[], fortran = false): string {
  const s = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${s}, }`;
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fsmtl-data-'));
}

/** Runs fn, expects an FsmtlError whose message contains every one of parts; returns the message. */
export function expectFsmtlError(fn: () => unknown, ...parts: (string | RegExp)[]): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof FsmtlError)) throw new Error(`expected an FsmtlError, got ${err === undefined ? 'no error' : String(err)}`);
  for (const p of parts) {
    const ok = typeof p === 'string' ? err.message.includes(p) : p.test(err.message);
    if (!ok) throw new Error(`FsmtlError message ${JSON.stringify(err.message)} lacks ${String(p)}`);
  }
  if (err.message.includes('\n')) throw new Error(`FsmtlError message is not one line: ${JSON.stringify(err.message)}`);
  return err.message;
}
