// Reading fsmtl's own files inside the safetensors container: their metadata fields and the tensors
// they must hold, with errors that name the file and the problem. Pure, no I/O.
import { crc32 } from '../util/crc32.js';
import { FsmtlError, oneLine } from '../util/errors.js';
import { FSMTL_VERSION } from '../version.js';
import type { SafeDtype, SafeFile, SafeTensor } from './safetensors-codec.js';
import type { z } from 'zod';
import { taskSpecSchema } from '../tasks/specs.js';
import type { TaskSpec } from '../tasks/types.js';

export type FsmtlFormat = 'fsmtl-checkpoint' | 'fsmtl-task-model';

const describe: Record<FsmtlFormat, string> = {
  'fsmtl-checkpoint': 'an fsmtl checkpoint (fsmtl train --save)',
  'fsmtl-task-model': 'an exported fsmtl task model (fsmtl export)',
};

/** The file's `format` metadata, or an error if it is not one of fsmtl's formats. */
export function formatOf(file: SafeFile, name: string): FsmtlFormat {
  const f = file.metadata.format;
  if (f === 'fsmtl-checkpoint' || f === 'fsmtl-task-model') return f;
  throw new FsmtlError(
    `${name}: not an fsmtl model: its safetensors metadata has ${f === undefined ? 'no "format" field' : `format ${JSON.stringify(f)}`} (expected "fsmtl-checkpoint" or "fsmtl-task-model")`,
  );
}

/** Checks the format and that its version is one this fsmtl reads. */
export function checkFormat(file: SafeFile, name: string, want: FsmtlFormat, supported: number): number {
  const f = formatOf(file, name);
  if (f !== want) throw new FsmtlError(`${name}: this is ${describe[f]}, not ${describe[want]}`);
  const v = file.metadata.format_version;
  const n = Number(v);
  if (v === undefined || !Number.isSafeInteger(n) || n < 1) {
    throw new FsmtlError(`${name}: bad or missing format_version ${JSON.stringify(v)} in the metadata`);
  }
  if (n > supported) {
    throw new FsmtlError(
      `${name}: format version ${n} (written by fsmtl ${file.metadata.fsmtl_version ?? '?'}) is newer than this fsmtl ${FSMTL_VERSION} reads (≤ ${supported}); upgrade fsmtl`,
    );
  }
  return n;
}

// ---- Checksum. safetensors has no integrity field, so one flipped bit in a weight loads silently as
// another model. fsmtl writes the CRC-32 of the file's content into its metadata and checks it on load:
// every other metadata field (sorted by key) and every tensor's name, dtype, shape and bytes, in file
// order. Header whitespace and key order are not content. Files written before it have no checksum.

export const CHECKSUM_KEY = 'checksum';

function contentChecksum(tensors: Iterable<[string, SafeTensor]>, metadata: Record<string, string>): string {
  const text = new TextEncoder();
  const meta = Object.keys(metadata)
    .filter((k) => k !== CHECKSUM_KEY)
    .sort()
    .map((k) => [k, metadata[k]]);
  let crc = crc32(text.encode(JSON.stringify(meta)));
  for (const [key, t] of tensors) {
    crc = crc32(text.encode(JSON.stringify([key, t.dtype, t.shape])), crc);
    crc = crc32(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), crc);
  }
  return `crc32:${crc.toString(16).padStart(8, '0')}`;
}

/** The metadata with the checksum of these tensors (in the order they will be written) and fields added. */
export function withChecksum(tensors: [string, SafeTensor][], metadata: Record<string, string>): Record<string, string> {
  return { ...metadata, [CHECKSUM_KEY]: contentChecksum(tensors, metadata) };
}

/** Errors unless the file's content matches its checksum (a file without one is not checked). */
export function verifyChecksum(file: SafeFile, name: string): void {
  const want = file.metadata[CHECKSUM_KEY];
  if (want === undefined) return;
  const got = contentChecksum(file.tensors, file.metadata);
  if (got !== want) {
    throw new FsmtlError(`${name}: the file is corrupt: its content has checksum ${got}, its metadata says ${JSON.stringify(want).slice(0, 40)}`);
  }
}

export class MetaReader {
  constructor(
    private readonly file: SafeFile,
    private readonly name: string,
  ) {}

  fail(key: string, what: string): never {
    throw new FsmtlError(`${this.name}: metadata field '${key}' ${what}`);
  }

  string(key: string): string {
    const v = this.file.metadata[key];
    if (v === undefined) this.fail(key, 'is missing');
    return v;
  }

  json(key: string): unknown {
    const s = this.string(key);
    try {
      return JSON.parse(s);
    } catch (e) {
      this.fail(key, `is not valid JSON (${oneLine((e as Error).message)})`);
    }
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.string(key);
    if (!(values as readonly string[]).includes(v)) this.fail(key, `must be ${values.join(' or ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  positiveInts(key: string, length?: number): number[] {
    const v = this.json(key);
    if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d) && d > 0) || (length !== undefined && v.length !== length)) {
      this.fail(key, `must be ${length !== undefined ? `${length} ` : 'a list of '}positive integers, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  }

  positiveInt(key: string): number {
    const n = Number(this.string(key));
    if (!Number.isSafeInteger(n) || n < 1) this.fail(key, `must be a positive integer, got ${JSON.stringify(this.string(key))}`);
    return n;
  }

  number(key: string): number {
    const n = Number(this.string(key));
    if (!Number.isFinite(n)) this.fail(key, `must be a number, got ${JSON.stringify(this.string(key))}`);
    return n;
  }

  names(key: string): string[] {
    const v = this.json(key);
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s.length > 0) || new Set(v).size !== v.length) {
      this.fail(key, `must be a non-empty list of distinct names, got ${JSON.stringify(v)}`);
    }
    return v as string[];
  }
}

const shapeText = (s: number[]) => `[${s.join(', ')}]`;

/** Index of the first NaN or ±Infinity of a floating-point tensor (F16/BF16: all-ones exponent), or -1. */
function firstNonFinite(t: SafeTensor): number {
  if (t.dtype === 'F32' || t.dtype === 'F64') {
    const d = t.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  } else if (t.dtype === 'F16' || t.dtype === 'BF16') {
    const exp = t.dtype === 'F16' ? 0x7c00 : 0x7f80;
    const d = t.data as Uint16Array;
    for (let i = 0; i < d.length; i++) if ((d[i] & exp) === exp) return i;
  }
  return -1;
}

function nonFiniteText(t: SafeTensor, i: number): string {
  if (t.dtype === 'F32' || t.dtype === 'F64') return String((t.data as Float32Array | Float64Array)[i]);
  const bits = (t.data as Uint16Array)[i];
  const mantissa = bits & (t.dtype === 'F16' ? 0x03ff : 0x007f);
  return mantissa ? 'NaN' : bits & 0x8000 ? '-Infinity' : 'Infinity';
}

/** Hands out a file's tensors by name, checking dtype and shape; `rest()` lists the ones never asked for. */
export class TensorReader {
  private readonly taken = new Set<string>();

  constructor(
    private readonly file: SafeFile,
    private readonly name: string,
    /** Says what defines the expected shapes, for error messages, e.g. "the config's architecture (mlp 784-32-32)". */
    private readonly because: string,
  ) {}

  has(key: string): boolean {
    return this.file.tensors.has(key);
  }

  /** The tensor, or an error if it is missing, of another dtype, or (when `shape` is given) of another shape. */
  take(key: string, dtypes: SafeDtype[], shape?: number[]): SafeTensor {
    const t = this.file.tensors.get(key);
    if (!t) throw new FsmtlError(`${this.name}: missing tensor '${key}' (${this.because} needs it)`);
    if (!dtypes.includes(t.dtype)) throw new FsmtlError(`${this.name}: tensor '${key}' is ${t.dtype}, expected ${dtypes.join(' or ')}`);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new FsmtlError(`${this.name}: tensor '${key}' has shape ${shapeText(t.shape)}, but ${this.because} needs ${shapeText(shape)}`);
    }
    const bad = firstNonFinite(t);
    if (bad >= 0) {
      // Such a model loads and then answers class 0 for everything (argmax over NaN logits).
      throw new FsmtlError(`${this.name}: tensor '${key}' holds ${nonFiniteText(t, bad)} at element ${bad}: model weights must be finite numbers`);
    }
    this.taken.add(key);
    return t;
  }

  /** Errors if the file holds tensors nobody asked for (a file of another architecture or method). */
  checkNoneLeft(): void {
    const extra = [...this.file.tensors.keys()].filter((k) => !this.taken.has(k));
    if (extra.length) {
      const list = extra.slice(0, 5).map((k) => `'${k}'`).join(', ') + (extra.length > 5 ? `, … (${extra.length} in all)` : '');
      throw new FsmtlError(`${this.name}: unexpected tensor(s) ${list}: ${this.because} has no such parameters`);
    }
  }
}

/**
 * The tasks' specs from a model file's metadata: `task_specs` (a checkpoint) or `task_spec` (a task
 * model, `single`) in format 2; format 1 had `num_classes`, and every task was multiclass.
 */
export function readTaskSpecs(
  meta: MetaReader,
  formatVersion: number,
  count: number,
  name: string,
  single = false,
  /** The schema specs must fit: every kind's (the registry's), or the kinds a reader supports. */
  schema: z.ZodType<TaskSpec> = taskSpecSchema,
): TaskSpec[] {
  if (formatVersion < 2) {
    const classes = single ? [meta.positiveInt('num_classes')] : meta.positiveInts('num_classes', count);
    return classes.map((c) => ({ kind: 'multiclass', classes: c }));
  }
  const key = single ? 'task_spec' : 'task_specs';
  const raw = meta.json(key);
  const list = single ? [raw] : Array.isArray(raw) ? raw : [];
  if (list.length !== count) throw new FsmtlError(`${name}: metadata ${key} has ${list.length} entries for ${count} task(s)`);
  return list.map((s, t) => {
    const r = schema.safeParse(s);
    if (!r.success) {
      throw new FsmtlError(`${name}: metadata ${key}${single ? '' : `[${t}]`}: ${r.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`);
    }
    return r.data;
  });
}
