// Fuzz test of every reader: a seeded corpus of mutated files (bit flips, byte changes, truncations,
// extensions, splices, header field edits; for JSON also type swaps, removed and added fields, huge
// numbers, NaN strings) built from small valid files made here. Each case must
//   - load a result equal in content to the valid original, or
//   - load what the mutated file faithfully says, where the format has no integrity field that covers
//     the change (IDX, .npy, JPEG data; a JSON file that is still a valid config says something else),
//     checked against the file's own bytes or fields, or
//   - fail with an FsmtlError whose message is one non-empty line naming the file,
// the same way twice in a row (no uninitialised memory), and never hang: each reader runs in a worker
// thread with a watchdog that names the case it was stuck on.
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { parseIdx } from '../../src/data/idx.js';
import { parseNpy, parseNpz } from '../../src/data/npy.js';
import { parseJpeg } from '../../src/data/jpeg.js';
import { pngPixels } from '../../src/io/predict-input.js';
import { Rng } from '../../src/util/rng.js';
import { crc32 } from '../../src/util/crc32.js';
import { FsmtlError } from '../../src/util/errors.js';
import type { Checkpoint } from '../../src/io/checkpoint.js';
import type { TaskSpec } from '../../src/tasks/types.js';

// The heavier modules are imported only when a reader that needs them runs (in the worker).
const io = async () => ({
  ...(await import('../../src/io/checkpoint.js')),
  ...(await import('../../src/io/export.js')),
  ...(await import('../../src/io/model-file.js')),
  ...(await import('../../src/model/extractor.js')),
  ...(await import('../../src/model/layers.js')),
  ...(await import('../../src/train/config.js')),
  ...(await import('../../src/train/trainer.js')),
});
let M: Awaited<ReturnType<typeof io>>;
const json = async () => ({
  ...(await import('../../src/train/config.js')),
  ...(await import('../../src/cli/main.js')),
  ...(await import('../../src/experiments/spec.js')),
  ...(await import('../../src/data/manifest.js')),
});
let J: Awaited<ReturnType<typeof json>>;

/** Cases per reader; the seed of each reader's corpus is derived from SEED and its name. */
const CASES = Number(process.env.FSMTL_FUZZ_CASES ?? 300);
const SEED = Number(process.env.FSMTL_FUZZ_SEED ?? 15);
/** A case that runs longer than this is a hang. */
const GUARD_MS = 15_000;

// ---------------------------------------------------------------- valid files

interface Sample {
  label: string;
  bytes: Uint8Array;
  /** Offsets and sizes of integer header fields (big- or little-endian), for field edits. */
  fields?: { at: number; size: 1 | 2 | 4 | 8; le: boolean }[];
  /** JSON files: the parsed document, for structural mutations. */
  json?: unknown;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const enc = (s: string) => new TextEncoder().encode(s);

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function makeIdx(dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function idxSamples(rng: Rng): Sample[] {
  const mk = (label: string, dims: number[]): Sample => ({
    label,
    bytes: makeIdx(dims, randomBytes(rng, dims.reduce((a, b) => a * b, 1))),
    fields: [{ at: 0, size: 4, le: false }, ...dims.map((_, i) => ({ at: 4 + 4 * i, size: 4 as const, le: false }))],
  });
  return [mk('images 3×4×5', [3, 4, 5]), mk('labels 17', [17]), mk('images 2×3×3×2', [2, 3, 3, 2])];
}

/** .npy bytes (the header padded as NumPy pads it) and the fields of its preamble. */
function makeNpy(descr: string, shape: number[], payload: Uint8Array, major = 1): Sample {
  const pre = major === 1 ? 10 : 12;
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const out = new Uint8Array(pre + h.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(enc(h), pre);
  out.set(payload, pre + h.length);
  return { label: `${descr} (${shape.join(', ')}) v${major}`, bytes: out, fields: [{ at: 6, size: 2, le: true }, { at: 8, size: major === 1 ? 2 : 4, le: true }] };
}

function npySamples(rng: Rng): Sample[] {
  const f32 = Float32Array.from({ length: 12 }, () => rng.normal());
  const i64 = BigInt64Array.from({ length: 4 }, () => BigInt(rng.int(1000) - 500));
  const be16 = new Uint8Array(10);
  for (let i = 0; i < 5; i++) new DataView(be16.buffer).setInt16(2 * i, rng.int(65536) - 32768, false);
  return [
    makeNpy('<f4', [3, 4], bytesOf(f32)),
    makeNpy('|u1', [2, 3, 2], randomBytes(rng, 12)),
    makeNpy('>i2', [5], be16),
    makeNpy('<i8', [2, 2], bytesOf(i64), 2),
    makeNpy('|b1', [6], Uint8Array.from({ length: 6 }, () => rng.int(2))),
    makeNpy('<f8', [], bytesOf(Float64Array.of(rng.normal())), 3),
  ];
}

function npzSamples(rng: Rng, level: 0 | 6): Sample[] {
  const fixture = (f: string): Sample => ({ label: f, bytes: new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'fixtures', f))) });
  const [a, b, c] = npySamples(rng);
  const zip = (files: Record<string, Uint8Array>) => zipSync(files, { level, mtime: new Date('2024-01-02T03:04:05Z') });
  return [
    { label: `x, y (level ${level})`, bytes: zip({ 'x.npy': a.bytes, 'y.npy': b.bytes }) },
    { label: `one array (level ${level})`, bytes: zip({ 'arr_0.npy': c.bytes }) },
    fixture(level === 0 ? 'numpy-savez.npz' : 'numpy-savez-compressed.npz'),
  ];
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(enc(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(data, crc32(enc(type))));
  return out;
}

function pngSamples(rng: Rng): Sample[] {
  const mk = (label: string, w: number, h: number, colorType: 0 | 2 | 6, bitDepth: 8 | 16 = 8): Sample => {
    const png = new PNG({ width: w, height: h });
    for (let i = 0; i < w * h; i++) png.data.set([rng.int(256), rng.int(256), rng.int(256), colorType === 6 ? rng.int(256) : 255], 4 * i);
    const bytes = new Uint8Array(PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true }));
    return { label, bytes, fields: [{ at: 8, size: 4, le: false }, { at: 16, size: 4, le: false }, { at: 20, size: 4, le: false }, { at: 24, size: 1, le: false }, { at: 25, size: 1, le: false }] };
  };
  const grey = mk('grey 7×5', 7, 5, 0);
  // An ancillary tEXt chunk before IEND: readers skip it (its CRC is still checked).
  const withText = new Uint8Array(grey.bytes.length + 12 + 11);
  const end = grey.bytes.length - 12;
  withText.set(grey.bytes.subarray(0, end));
  withText.set(pngChunk('tEXt', enc('Comment\0fsm')), end);
  withText.set(grey.bytes.subarray(end), end + 23);
  return [grey, { ...grey, label: 'grey 7×5 + tEXt', bytes: withText }, mk('rgb 6×4', 6, 4, 2), mk('rgba 5×5', 5, 5, 6), mk('grey16 4×3', 4, 3, 0, 16)];
}

function jpegSamples(rng: Rng): Sample[] {
  const mk = (w: number, h: number, quality: number): Sample => {
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set([(x * 255) / w, (y * 255) / h, rng.int(256), 255], 4 * (y * w + x));
    // jpeg-js is imported lazily: only the JPEG reader's worker needs the encoder.
    const out = jpegEncode({ width: w, height: h, data: rgba }, quality).data;
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    // Header fields: the frame's precision, height, width and component count, and the first segment's length.
    const sof = bytes.findIndex((x, i) => x === 0xff && bytes[i + 1] === 0xc0);
    const fields = [{ at: 4, size: 2 as const, le: false }, { at: sof + 2, size: 2 as const, le: false }, { at: sof + 4, size: 1 as const, le: false }];
    fields.push({ at: sof + 5, size: 2, le: false }, { at: sof + 7, size: 2, le: false }, { at: sof + 9, size: 1, le: false });
    return { label: `${w}×${h} q${quality}`, bytes, fields };
  };
  return [mk(16, 12, 90), mk(9, 17, 50), mk(8, 8, 100)];
}
let jpegEncode: (img: { width: number; height: number; data: Uint8Array }, q: number) => { data: Uint8Array };


// Model files: checkpoints of a few methods (masks, separate towers, adapters) and exported task
// models (sparse and dense layouts), with random weights; no training needed.
function checkpointOf(rng: Rng, method: string): Checkpoint {
  const { parseTrainConfig, makeExtractor, paramSpecs, FSMTL_VERSION, headOutputs, adapterOf } = M;
  const config = parseTrainConfig({ method, hidden: [6, 5], epochs: 4, keep: 0.4, fs: { warmupEpochs: 1 }, se: { reduction: 2 } });
  const inputShape: [number, number, number] = [3, 2, 1];
  const extractor = makeExtractor('mlp', inputShape, config.hidden);
  const specs = paramSpecs(extractor.layers);
  const tasks = ['digits', 'odd', 'size'];
  const taskSpecs: TaskSpec[] = [{ kind: 'multiclass', classes: 4 }, { kind: 'binary' }, { kind: 'regression', targets: 2 }];
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const partial: Checkpoint = {
    formatVersion: 2,
    fsmtlVersion: FSMTL_VERSION,
    config,
    tasks,
    taskSpecs,
    inputShape,
    specs,
    towers: Array.from({ length: method === 'stl' ? tasks.length : 1 }, () => specs.map((p) => randn(p.size))),
    heads: taskSpecs.map((t) => ({ kernel: randn(extractor.featureDim * headOutputs(t)), bias: randn(headOutputs(t)) })),
    masks: ['fs', 'rs', 'tr'].includes(method) ? tasks.map(() => specs.map((p) => Uint8Array.from({ length: p.size }, () => (rng.next() < 0.4 ? 1 : 0)))) : null,
    adapters: null,
    metrics: method === 'fs' ? [{ task: 'digits', accuracy: 0.5 }] : undefined,
  };
  const adapter = adapterOf(partial);
  if (adapter) partial.adapters = tasks.map(() => adapter.specs(extractor).map((p) => randn(p.size)));
  return partial;
}

async function modelSamples(rng: Rng, which: 'checkpoint' | 'task-model'): Promise<Sample[]> {
  M = await io();
  const { encodeCheckpoint, encodeTaskModel, exportTask } = M;
  if (which === 'checkpoint') return ['fs', 'stl', 'se', 'mtl'].map((m) => ({ label: `${m} checkpoint`, bytes: encodeCheckpoint(checkpointOf(rng, m)) }));
  const fs = checkpointOf(rng, 'fs');
  return [
    { label: 'fs digits (auto layout)', bytes: encodeTaskModel(exportTask(fs, 'digits')) },
    { label: 'fs size (sparse layout)', bytes: encodeTaskModel(exportTask(fs, 'size', { layout: 'sparse' })) },
    { label: 'mtl odd (dense)', bytes: encodeTaskModel(exportTask(checkpointOf(rng, 'mtl'), 'odd')) },
  ];
}

/** A model file's content, without where it was read from. */
function loadModel(path: string): unknown {
  const m = M.loadModelFile(path);
  return m.kind === 'checkpoint' ? { ...m.checkpoint, source: undefined } : { ...m.model, source: undefined };
}

// JSON files: a train config, an experiment spec, a data manifest (over a small CSV).
const jsonSample = (label: string, json: unknown): Sample => ({ label, json, bytes: enc(JSON.stringify(json, null, 2)) });

const CONFIGS = [
  { method: 'fs', keep: 0.3, epochs: 5, hidden: [32, 16], lr: 0.002, fs: { warmupEpochs: 1, samples: 64, scope: 'layer' } },
  { benchmark: 'multimnist', method: 'mtl', weighting: 'cagrad', weightingOptions: { cagradC: 0.5 }, trainSize: 500, seed: 3 },
  { method: 'se', se: { reduction: 4 }, validation: 0, batchSize: 32 },
  { method: 'mr', mr: { roamingEpochs: 2 }, epochs: 6, keep: 0.5, backend: 'wasm' },
];

const SPECS = [
  { name: 'fz', benchmarks: ['hetero3'], methods: [{ method: 'stl' }, { method: 'fs', keep: [0.3, 0.5] }], seeds: [0, 1], train: { epochs: 3, hidden: [16] } },
  {
    name: 'fz2',
    benchmarks: ['hetero3', 'multimnist'],
    methods: [{ method: 'mtl', weighting: 'cagrad', label: 'CAGrad' }, { method: 'rs', train: { lr: 0.01 } }],
    keep: [0.2],
    seeds: [4],
    train: { epochs: 4, trainPerTask: 100 },
    select: 'test',
  },
];

const MANIFEST = {
  name: 'plants',
  inputs: { csv: 'plants.csv', columns: ['leaf_length_cm', 'leaf_width_cm', 'height_m', 'soil_ph', 'sun_hours', 'water_l_week'] },
  tasks: [
    { name: 'species', kind: 'multiclass', target: 'species' },
    { name: 'flowering', kind: 'binary', target: 'flowering' },
    { name: 'growth', kind: 'regression', target: 'growth_cm_week' },
  ],
  split: { test: 0.25, seed: 1 },
};

const stripPath = (x: unknown, path: string): unknown => JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'string' ? v.split(path).join('<file>') : v)));

// ---------------------------------------------------------------- mutations

interface Case {
  what: string;
  bytes: Uint8Array;
}

function fieldEdit(rng: Rng, s: Sample): Case | null {
  if (!s.fields?.length) return null;
  const f = s.fields[rng.int(s.fields.length)];
  const out = s.bytes.slice();
  const v = new DataView(out.buffer);
  const max = f.size === 8 ? 2 ** 53 : 2 ** (8 * f.size) - 1;
  const get = (): number =>
    f.size === 1 ? out[f.at] : f.size === 2 ? v.getUint16(f.at, f.le) : f.size === 4 ? v.getUint32(f.at, f.le) : Number(v.getBigUint64(f.at, f.le));
  const old = get();
  const choices = [0, 1, old + 1, old - 1, old * 2, Math.floor(old / 2), max, 2 ** (8 * Math.min(f.size, 4) - 1), rng.int(Math.min(max, 2 ** 31))];
  const val = Math.max(0, Math.min(max, choices[rng.int(choices.length)]));
  if (f.size === 1) out[f.at] = val;
  else if (f.size === 2) v.setUint16(f.at, val, f.le);
  else if (f.size === 4) v.setUint32(f.at, val, f.le);
  else v.setBigUint64(f.at, BigInt(val), f.le);
  return { what: `field @${f.at} (${f.size} bytes) ${old} → ${val}`, bytes: out };
}

/** One mutation of a sample: a generic byte-level one, or a header field edit where the sample has fields. */
function mutateBytes(rng: Rng, s: Sample, all: Sample[]): Case {
  const b = s.bytes;
  const n = b.length;
  const kind = rng.int(9);
  if (kind === 0 || kind === 1) {
    const out = b.slice();
    const flips = 1 + rng.int(3);
    const at: number[] = [];
    for (let k = 0; k < flips; k++) {
      const i = rng.int(n);
      out[i] ^= 1 << rng.int(8);
      at.push(i);
    }
    return { what: `bit flip @${at.join(',')}`, bytes: out };
  }
  if (kind === 2) {
    const out = b.slice();
    const i = rng.int(n);
    const vals = [0, 0xff, (b[i] + 1) & 0xff, (b[i] + 255) & 0xff, rng.int(256), 0x20, 0x7f];
    out[i] = vals[rng.int(vals.length)];
    return { what: `byte @${i} ${b[i]} → ${out[i]}`, bytes: out };
  }
  if (kind === 3) {
    const len = rng.next() < 0.3 ? rng.int(Math.min(n, 40)) : rng.int(n);
    return { what: `truncated to ${len} of ${n}`, bytes: b.slice(0, len) };
  }
  if (kind === 4) {
    const k = 1 + rng.int(64);
    const tail = rng.next() < 0.5 ? new Uint8Array(k) : randomBytes(rng, k);
    const out = new Uint8Array(n + k);
    out.set(b);
    out.set(tail, n);
    return { what: `extended by ${k} bytes`, bytes: out };
  }
  if (kind === 5) {
    // Splice: a run of bytes from another sample (or this one) overwrites or is inserted at a random place.
    const o = all[rng.int(all.length)].bytes;
    const from = rng.int(o.length);
    const len = 1 + rng.int(Math.min(64, o.length - from));
    const at = rng.int(n);
    const chunk = o.subarray(from, from + len);
    if (rng.next() < 0.5) {
      const out = b.slice();
      out.set(chunk.subarray(0, Math.min(len, n - at)), at);
      return { what: `spliced ${len} bytes over @${at}`, bytes: out };
    }
    const out = new Uint8Array(n + len);
    out.set(b.subarray(0, at));
    out.set(chunk, at);
    out.set(b.subarray(at), at + len);
    return { what: `spliced ${len} bytes in @${at}`, bytes: out };
  }
  if (kind === 6) {
    const at = rng.int(n);
    const len = 1 + rng.int(Math.min(16, n - at));
    const out = new Uint8Array(n - len);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + len), at);
    return { what: `deleted ${len} bytes @${at}`, bytes: out };
  }
  return fieldEdit(rng, s) ?? mutateBytes(rng, s, all);
}

// JSON: structural mutations of a random node, plus the byte-level ones on the text.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

const ODD_VALUES: Json[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 1e-320, 'NaN', 'Infinity', '', 'x', [], {}, [1, 2], { a: 1 }, '1e3', ' 5'];

function mutateJson(rng: Rng, s: Sample, all: Sample[]): Case {
  if (rng.next() < 0.3) return mutateBytes(rng, s, all);
  const doc = structuredClone(s.json) as Json;
  const ps = paths(doc);
  const p = ps[rng.int(ps.length)];
  const parentOf = (q: (string | number)[]) => q.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k as string], doc);
  const kind = rng.int(6);
  let what: string;
  let text: string | null = null;
  let root = doc;
  if (p.length === 0) {
    root = ODD_VALUES[rng.int(ODD_VALUES.length)];
    what = `document replaced by ${JSON.stringify(root)}`;
  } else {
    const parent = parentOf(p) as Record<string | number, Json>;
    const key = p[p.length - 1];
    const old = parent[key];
    if (kind === 0 && !Array.isArray(parent)) {
      delete parent[key];
      what = `removed ${p.join('.')}`;
    } else if (kind === 1) {
      const extra = ['extra', 'Keep', 'epoch', '__proto__', 'constructor', 'seeds2'][rng.int(6)];
      const target = old !== null && typeof old === 'object' && !Array.isArray(old) ? (old as Record<string, Json>) : (parent as Record<string, Json>);
      if (extra === '__proto__') {
        text = JSON.stringify(root).replace(/^\{/, '{"__proto__": {"keep": 0.5}, ');
        what = 'added a "__proto__" field';
      } else {
        target[extra] = ODD_VALUES[rng.int(ODD_VALUES.length)];
        what = `added field '${extra}' = ${JSON.stringify(target[extra])} at ${p.join('.')}`;
      }
    } else if (kind === 2 && typeof old === 'number') {
      const opts = [old * 1e6, -old, old + 0.5, 0, 1e308, old * 1e-9, Math.round(old) + 1, 2 ** 31, 2 ** 53];
      parent[key] = opts[rng.int(opts.length)];
      what = `${p.join('.')}: ${old} → ${parent[key]}`;
    } else if (kind === 3) {
      // Numbers JSON cannot hold, written into the text.
      const lit = ['NaN', 'Infinity', '-Infinity', '1e400', '-0', '0x10', '1e-400', '123456789012345678901234567890'][rng.int(8)];
      parent[key] = '\u0000LIT';
      text = JSON.stringify(root).replace('"\\u0000LIT"', lit);
      what = `${p.join('.')}: ${JSON.stringify(old)} → ${lit} (literal)`;
    } else if (kind === 4 && typeof old === 'string') {
      const opts = [old.toUpperCase(), `${old} `, old.slice(1), '', 'NaN', `../${old}`, old + old];
      parent[key] = opts[rng.int(opts.length)];
      what = `${p.join('.')}: ${JSON.stringify(old)} → ${JSON.stringify(parent[key])}`;
    } else {
      // Type swap.
      parent[key] = ODD_VALUES[rng.int(ODD_VALUES.length)];
      if (isDeepStrictEqual(parent[key], old)) parent[key] = [old];
      what = `${p.join('.')}: ${JSON.stringify(old)} → ${JSON.stringify(parent[key])}`;
    }
  }
  return { what, bytes: enc(text ?? JSON.stringify(root, null, rng.next() < 0.5 ? 2 : 0)) };
}

// ---------------------------------------------------------------- readers

interface Reader {
  name: string;
  ext: string;
  samples(rng: Rng, dir: string): Sample[] | Promise<Sample[]>;
  mutate?: (rng: Rng, s: Sample, all: Sample[]) => Case;
  /** Loads the file at `path` (whose bytes are `bytes`) and returns its content, comparable with isDeepStrictEqual. */
  load(bytes: Uint8Array, path: string): unknown | Promise<unknown>;
  /**
   * When a mutated file loads to other content than its original: why that is the file's faithful
   * content (a string, counted per reason), or null when it is a silent change.
   */
  faithful?(bytes: Uint8Array, loaded: unknown, s: Sample): string | null;
  /** Whether an error message names the file (default: it contains the path). */
  place?(message: string, path: string): boolean;
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Every field of `input` is in `output` with the same value (objects compared field by field, recursively). */
function honoured(input: unknown, output: unknown): boolean {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    if (output === null || typeof output !== 'object' || Array.isArray(output)) return false;
    return Object.entries(input).every(([k, v]) => Object.hasOwn(output, k) && honoured(v, (output as Record<string, unknown>)[k]));
  }
  if (Array.isArray(input)) return Array.isArray(output) && input.length === output.length && input.every((v, i) => honoured(v, output[i]));
  return Object.is(input, output);
}

const READERS: Reader[] = [
  {
    name: 'idx (raw)',
    ext: 'idx',
    samples: (rng) => idxSamples(rng),
    load: (b, p) => parseIdx(b, p),
    // IDX has no checksum: any well-formed file is read as what it says, byte for byte.
    faithful: (b, r) => {
      const a = r as ReturnType<typeof parseIdx>;
      return equalBytes(makeIdx(a.dims, a.data), b) ? 'another well-formed IDX file (IDX has no checksum)' : null;
    },
  },
  {
    name: 'idx (gzip)',
    ext: 'idx.gz',
    samples: (rng) => idxSamples(rng).map((s) => ({ label: `${s.label}, gzip`, bytes: new Uint8Array(gzipSync(s.bytes)), fields: [{ at: 4, size: 4, le: true }] })),
    load: (b, p) => parseIdx(b, p),
  },
  {
    name: 'npy',
    ext: 'npy',
    samples: (rng) => npySamples(rng),
    load: (b, p) => {
      const a = parseNpy(b, p);
      return { ...a, data: bytesOf(a.data).slice() };
    },
    // .npy has no checksum: a file whose header and payload still agree is read as what it says.
    faithful: (b, r) => {
      const a = r as { descr: string; shape: number[]; data: Uint8Array };
      const payload = b.subarray(b.length - a.data.length);
      const size = Number(a.descr.slice(2));
      const fileOrder = a.data.slice();
      if (a.descr[0] === '>') for (let o = 0; o < fileOrder.length; o += size) fileOrder.subarray(o, o + size).reverse();
      const header = new TextDecoder('latin1').decode(b.subarray(b[6] === 1 ? 10 : 12, b.length - a.data.length)).replace(/\s/g, '');
      const want = `{'descr':'${a.descr}','fortran_order':False,'shape':(${a.shape.join(',')}${a.shape.length === 1 ? ',' : ''}),}`;
      return equalBytes(payload, fileOrder) && header === want ? 'another well-formed .npy file (.npy has no checksum)' : null;
    },
  },
  {
    name: 'npz (stored)',
    ext: 'npz',
    samples: (rng) => npzSamples(rng, 0),
    load: (b, p) => canonicalNpz(parseNpz(b, p)),
  },
  {
    name: 'npz (deflated)',
    ext: 'npz',
    samples: (rng) => npzSamples(rng, 6),
    load: (b, p) => canonicalNpz(parseNpz(b, p)),
  },
  {
    name: 'png',
    ext: 'png',
    samples: (rng) => pngSamples(rng),
    load: (b, p) => [pngPixels(b, p, 1), pngPixels(b, p, 3)],
  },
  {
    name: 'jpeg',
    ext: 'jpg',
    samples: async (rng) => {
      jpegEncode = (await import('jpeg-js')).default.encode as typeof jpegEncode;
      return jpegSamples(rng);
    },
    load: (b, p) => [parseJpeg(b, p, { channels: 3 }), parseJpeg(b, p, { channels: 1 })],
    // JPEG has no checksum: damaged entropy-coded data decode to other pixels. What can be checked is
    // that the image is whole (the size its frame header gives, every value in [0, 1]).
    faithful: (_b, r) => {
      const imgs = r as { height: number; width: number; channels: number; data: Float32Array }[];
      const ok = imgs.every((im) => im.height > 0 && im.width > 0 && im.data.length === im.height * im.width * im.channels && im.data.every((x) => x >= 0 && x <= 1));
      return ok ? 'other pixels (JPEG has no checksum)' : null;
    },
  },
  {
    name: 'checkpoint',
    ext: 'safetensors',
    samples: (rng) => modelSamples(rng, 'checkpoint'),
    load: (_b, p) => loadModel(p),
  },
  {
    name: 'task model',
    ext: 'safetensors',
    samples: (rng) => modelSamples(rng, 'task-model'),
    load: (_b, p) => loadModel(p),
  },
  {
    name: 'train config',
    ext: 'json',
    samples: async () => {
      J = await json();
      return CONFIGS.map((c, i) => jsonSample(`config ${i}`, c));
    },
    mutate: mutateJson,
    load: (_b, p) => J.parseTrainConfig(J.configFrom({ config: p })),
    place: (msg, p) => msg.includes(p) || /^config[.:]/.test(msg),
    // Still a valid config: it must say what the file says (no field dropped, coerced or defaulted over).
    faithful: (b, r) => (honoured(JSON.parse(new TextDecoder().decode(b)), r) ? 'another valid config, every field honoured' : null),
  },
  {
    name: 'experiment spec',
    ext: 'json',
    samples: async () => {
      J = await json();
      return SPECS.map((c, i) => jsonSample(`spec ${i}`, c));
    },
    mutate: mutateJson,
    load: (_b, p) => stripPath(J.loadExperiment(p), p),
    faithful: (b, r) => {
      const json = JSON.parse(new TextDecoder().decode(b));
      const e = r as { runs: { config: Record<string, unknown>; row: number }[] };
      const parsed = J.experimentSchema.parse(json);
      const runsHonour = e.runs.every((run) =>
        Object.entries(parsed.train).every(([k, v]) => k === 'dataDir' || (json.methods[run.row].train ?? {})[k] !== undefined || honoured(v, run.config[k])),
      );
      return honoured(json, parsed) && runsHonour ? 'another valid experiment, every field honoured' : null;
    },
  },
  {
    name: 'data manifest',
    ext: 'json',
    samples: async (_rng, dir) => {
      J = await json();
      const csv = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'tabular', 'plants.csv'), 'utf8').split('\n').slice(0, 41).join('\n') + '\n';
      writeFileSync(join(dir, 'plants.csv'), csv);
      return [jsonSample('plants', MANIFEST), jsonSample('plants, per-task inputs', { ...MANIFEST, inputs: undefined, tasks: MANIFEST.tasks.map((t) => ({ ...t, inputs: MANIFEST.inputs })) })];
    },
    mutate: mutateJson,
    load: (_b, p) => {
      const b = J.loadDataManifest(p);
      return { ...b, provenance: b.provenance.map((l) => l.split(p).join('<file>')) };
    },
    // A problem in a file the manifest names (the CSV) is reported with that file's path.
    place: (msg, p) => msg.includes(dirname(p)),
    faithful: (b) => {
      const json = JSON.parse(new TextDecoder().decode(b));
      return honoured(json, J.manifestSchema.parse(json)) ? 'another valid manifest, every field honoured' : null;
    },
  },
];

function canonicalNpz(r: Record<string, { shape: number[]; descr: string; data: ArrayBufferView }>): unknown {
  return Object.fromEntries(Object.entries(r).map(([k, a]) => [k, { shape: a.shape, descr: a.descr, data: bytesOf(a.data).slice() }]));
}

// ---------------------------------------------------------------- one reader's corpus (worker side)

interface Counts {
  cases: number;
  equal: number;
  rejected: number;
  other: Record<string, number>;
  failures: string[];
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message.split('\n')[0]}` : String(e);
}

async function outcome(r: Reader, bytes: Uint8Array, path: string): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await r.load(bytes, path) };
  } catch (error) {
    return { ok: false, error };
  }
}

async function runReader(index: number, progress: (i: number, what: string) => void): Promise<Counts> {
  const r = READERS[index];
  const rng = Rng.derive(SEED, r.name);
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-fuzz-'));
  const counts: Counts = { cases: 0, equal: 0, rejected: 0, other: {}, failures: [] };
  try {
    const samples = await r.samples(rng, dir);
    const originals: unknown[] = [];
    for (const [k, s] of samples.entries()) {
      const p = join(dir, `valid-${k}.${r.ext}`);
      writeFileSync(p, s.bytes);
      const o = await outcome(r, s.bytes, p);
      if (!o.ok) throw new Error(`${r.name}: the valid sample '${s.label}' does not load: ${describeError(o.error)}`);
      originals.push(o.value);
    }
    const mutate = r.mutate ?? mutateBytes;
    for (let i = 0; i < CASES; i++) {
      const k = rng.int(samples.length);
      const s = samples[k];
      const c = mutate(rng, s, samples);
      const what = `${r.name} case ${i} (${s.label}: ${c.what})`;
      progress(i, what);
      const path = join(dir, `case-${i}.${r.ext}`);
      writeFileSync(path, c.bytes);
      const first = await outcome(r, c.bytes, path);
      const again = await outcome(r, c.bytes, path);
      rmSync(path, { force: true });
      counts.cases++;
      const fail = (why: string) => counts.failures.push(`${what}: ${why}`);
      if (first.ok !== again.ok || (first.ok ? !isDeepStrictEqual(first.value, (again as { value: unknown }).value) : describeError(first.error) !== describeError((again as { error: unknown }).error))) {
        fail('two reads of one file differ');
        continue;
      }
      if (!first.ok) {
        const e = first.error;
        if (!(e instanceof FsmtlError)) fail(`internal error ${describeError(e)}`);
        else if (!e.message.trim() || e.message.includes('\n')) fail(`message not one non-empty line: ${JSON.stringify(e.message)}`);
        else if (!(r.place ? r.place(e.message, path) : e.message.includes(path))) fail(`message does not name the file: ${e.message}`);
        else counts.rejected++;
        continue;
      }
      if (isDeepStrictEqual(first.value, originals[k])) {
        counts.equal++;
        continue;
      }
      const why = r.faithful?.(c.bytes, first.value, s) ?? null;
      if (why === null) fail('loaded, silently different from the original');
      else counts.other[why] = (counts.other[why] ?? 0) + 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return counts;
}

if (!isMainThread) {
  // One worker runs the readers' corpora one after another, as the main thread asks.
  const port = parentPort!;
  port.on('message', (index: number) => {
    runReader(index, (i, what) => port.postMessage({ type: 'case', i, what }))
      .then((counts) => port.postMessage({ type: 'done', counts }))
      .catch((e) => port.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) }));
  });
}

// ---------------------------------------------------------------- the test (main thread)

let worker: Worker | null = null;

/** Runs one reader's corpus in the worker; a case that takes longer than GUARD_MS is reported as a hang. */
function inWorker(index: number): Promise<Counts> {
  if (!worker) {
    const url = new URL(import.meta.url).href;
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`;
    worker = new Worker(boot, { eval: true });
    worker.unref();
  }
  const w = worker;
  return new Promise((resolve, reject) => {
    let current = `${READERS[index].name}: starting the worker and building the valid files`;
    const finish = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
    };
    const hang = () => {
      finish();
      void w.terminate();
      worker = null;
      reject(new Error(`hang: no answer within ${GUARD_MS} ms in ${current}`));
    };
    let timer = setTimeout(hang, 4 * GUARD_MS);
    const onMessage = (m: { type: string; i: number; what: string; counts: Counts; message: string }) => {
      clearTimeout(timer);
      if (m.type === 'case') {
        current = m.what;
        timer = setTimeout(hang, GUARD_MS);
        return;
      }
      finish();
      if (m.type === 'done') resolve(m.counts);
      else reject(new Error(m.message));
    };
    const onError = (e: Error) => {
      finish();
      worker = null;
      reject(e);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage(index);
  });
}

if (isMainThread) {
  const { test, after } = await import('node:test');
  for (const [index, r] of READERS.entries()) {
    if (process.env.FSMTL_FUZZ_ONLY && !r.name.includes(process.env.FSMTL_FUZZ_ONLY)) continue;
    test(`fuzz: ${r.name}: ${CASES} mutated files load equal (or faithfully, where the format has no checksum) or fail with a one-line FsmtlError`, async (t) => {
      const t0 = Date.now();
      const c = await inWorker(index);
      const other = Object.entries(c.other).map(([why, n]) => `, ${n} ${why}`).join('');
      t.diagnostic(`${r.name}: ${c.cases} cases: ${c.equal} loaded equal, ${c.rejected} rejected${other} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      assert.equal(c.cases, CASES);
      assert.deepEqual(c.failures, []);
    });
  }
  after(() => worker?.terminate());
}
