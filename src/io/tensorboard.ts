// TensorBoard event files, written directly: a TFRecord file (each record: uint64 length, masked CRC-32C
// of the length, the bytes, masked CRC-32C of the bytes) of Event protocol buffers, the first naming the
// file version, the others holding scalar summaries. Only the few protobuf fields scalars need are
// encoded (tensorflow/core/util/event.proto, summary.proto): a dependency would be larger than this file.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunLogRecord } from '../experiments/run-log.js';
import { FsmtlError } from '../util/errors.js';

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), as TFRecord uses. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits, plus a constant. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function tfRecord(data: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length), 0);
  head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([head, data, tail]);
}

// Protobuf wire format: a key is (field << 3 | wire type); 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, b: Uint8Array) => Buffer.concat([key(field, 2), varint(b.length), b]);

function doubleField(field: number, x: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x, 0);
  return Buffer.concat([key(field, 1), b]);
}

function floatField(field: number, x: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x, 0);
  return Buffer.concat([key(field, 5), b]);
}

/** Event { wall_time = 1 (double); step = 2 (int64); file_version = 3 | summary = 5 }. */
function event(wallTime: number, step: number, body: Buffer): Buffer {
  return Buffer.concat([doubleField(1, wallTime), key(2, 0), varint(step), body]);
}

/** Summary { repeated Value value = 1 }, Value { tag = 1 (string); simple_value = 2 (float) }. */
function scalarSummary(values: { tag: string; value: number }[]): Buffer {
  return Buffer.concat(values.map((v) => bytesField(1, Buffer.concat([bytesField(1, Buffer.from(v.tag, 'utf8')), floatField(2, v.value)]))));
}

export interface Scalar {
  tag: string;
  step: number;
  value: number;
  /** Unix time in seconds. */
  wallTime: number;
}

/** The bytes of an event file holding `scalars` (one event per step and wall time). */
export function eventFileBytes(scalars: Scalar[], startTime: number): Buffer {
  const records = [tfRecord(event(startTime, 0, bytesField(3, Buffer.from('brain.Event:2'))))];
  const groups = new Map<string, Scalar[]>();
  for (const s of scalars) {
    const k = `${s.step}/${s.wallTime}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  for (const g of groups.values()) records.push(tfRecord(event(g[0].wallTime, g[0].step, bytesField(5, scalarSummary(g)))));
  return Buffer.concat(records);
}

/**
 * A run log as TensorBoard scalars: per epoch, `loss/<task>` and `masks/density/<task>`, `masks/overlap`,
 * `time/epoch_seconds`; at the last epoch, `test/<task>/<metric>`, `validation/<task>/<metric>` and
 * `test/average/<metric>`. Missing metrics (null, NaN) are left out.
 */
export function runLogScalars(records: RunLogRecord[]): Scalar[] {
  const out: Scalar[] = [];
  const add = (tag: string, step: number, value: number | null | undefined, wallTime: number) => {
    if (typeof value === 'number' && Number.isFinite(value)) out.push({ tag, step, value, wallTime });
  };
  for (const r of records) {
    if (r.type === 'epoch') {
      for (const [task, l] of Object.entries(r.loss)) add(`loss/${task}`, r.epoch, l, r.time);
      if (r.masks) {
        for (const [task, d] of Object.entries(r.masks.density)) add(`masks/density/${task}`, r.epoch, d, r.time);
        add('masks/overlap', r.epoch, r.masks.meanOverlap, r.time);
      }
      add('time/epoch_seconds', r.epoch, r.seconds, r.time);
    } else if (r.type === 'result') {
      for (const [split, tasks] of [['test', r.test], ['validation', r.validation]] as const) {
        for (const [task, metrics] of Object.entries(tasks ?? {})) for (const [m, v] of Object.entries(metrics)) add(`${split}/${task}/${m}`, r.epochs, v, r.time);
      }
      for (const [m, v] of Object.entries(r.average)) add(`test/average/${m}`, r.epochs, v, r.time);
    }
  }
  return out;
}

/** Writes one run's event file into `<dir>/<run>/` (TensorBoard shows each subfolder as a run); returns its path. */
export function writeRunEvents(dir: string, run: string, records: RunLogRecord[]): string {
  const scalars = runLogScalars(records);
  const start = records[0]?.time ?? Date.now() / 1000;
  const folder = join(dir, run);
  const file = join(folder, `events.out.tfevents.${Math.floor(start)}.${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}`);
  try {
    mkdirSync(folder, { recursive: true });
    // A run done again replaces its events: TensorBoard would otherwise merge both files.
    for (const f of readdirSync(folder)) if (f.startsWith('events.out.tfevents.')) rmSync(join(folder, f), { force: true });
    writeFileSync(file, eventFileBytes(scalars, start));
  } catch (e) {
    throw new FsmtlError(`cannot write TensorBoard events to ${folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return file;
}
