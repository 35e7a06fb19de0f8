// Builders of small, valid data files for the data tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { FsmtlError } from '../../src/util/errors.js';
import type { Rng } from '../../src/util/rng.js';

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

/** JPEG bytes of an RGB image (jpeg-js's encoder takes RGBA). */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 95): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgb[3 * i];
    rgba[4 * i + 1] = rgb[3 * i + 1];
    rgba[4 * i + 2] = rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  const out = jpeg.encode({ width, height, data: rgba }, quality).data;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A smooth RGB image: red varies across, green down, blue with a seeded phase, plus one flat block. */
export function smoothImage(width: number, height: number, rng: Rng): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  const r0 = 40 + rng.int(60);
  const g0 = 40 + rng.int(60);
  const phase = rng.next() * 2 * Math.PI;
  const bx = rng.int(Math.max(1, width - 40));
  const by = rng.int(Math.max(1, height - 40));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 3 * (y * width + x);
      px[p] = Math.round(r0 + (150 * x) / width);
      px[p + 1] = Math.round(g0 + (150 * y) / height);
      px[p + 2] = Math.round(128 + 80 * Math.sin(phase + (2 * Math.PI * (x + y)) / (width + height)));
      if (x >= bx && x < bx + 40 && y >= by && y < by + 40) px[p + 2] = 230;
    }
  }
  return px;
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
