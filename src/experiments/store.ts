// The result store of an experiment: one JSON file per finished run, named by the hash of its resolved
// config, written atomically (temporary file + rename), so that a file that exists is a whole result.
//
//   <output>/experiment.json      what was planned: rows, labels and run keys (the report reads it)
//   <output>/runs/<key>.json      one finished run: { kind, version, key, status: "ok", result }
//   <output>/failed/<key>.json    one failed run: { kind, version, key, status: "failed", config, error }
//   <output>/runs/<key>.jsonl     the run's log: one JSON record per epoch, then its result (run-log.ts)
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../train/config.js';
import type { TrainResult } from '../train/trainer.js';
import { writeBytesAtomic } from '../io/files.js';
import { FsmtlError } from '../util/errors.js';
import { configHash, defaultLabel, KEEP_METHODS, paperOrder, type Experiment, type MethodRow } from './spec.js';
import type { RunOutcome } from './summary.js';
import { DEFAULT_ARCHITECTURE } from '../model/architectures/registry.js';

const KIND = 'fsmtl-run';
/** 2: task kinds (per-task metrics by name, validation metrics); version 1 files are read and upgraded. */
const VERSION = 2;

export interface FailedRun {
  key: string;
  config: TrainConfig;
  error: string;
}

export interface CorruptFile {
  file: string;
  reason: string;
}

/** What a store folder holds. */
export interface StoreContents {
  results: Map<string, TrainResult>;
  failed: Map<string, FailedRun>;
  /** Files that exist but are not a whole, valid result (e.g. written by something else, or damaged). */
  corrupt: CorruptFile[];
}

export const runsDir = (output: string) => join(output, 'runs');
export const failedDir = (output: string) => join(output, 'failed');
export const runFile = (output: string, key: string) => join(runsDir(output), `${key}.json`);
export const failedFile = (output: string, key: string) => join(failedDir(output), `${key}.json`);
export const runLogFile = (output: string, key: string) => join(runsDir(output), `${key}.jsonl`);
export const manifestFile = (output: string) => join(output, 'experiment.json');

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** Stores a finished run (atomically) and forgets an earlier failure of the same run. */
export function writeRunResult(output: string, key: string, result: TrainResult): void {
  writeBytesAtomic(runFile(output, key), json({ kind: KIND, version: VERSION, key, status: 'ok', result }));
  rmSync(failedFile(output, key), { force: true });
}

/** Records a run that ended with an error (atomically), apart from the results. */
export function writeRunFailure(output: string, key: string, config: TrainConfig, error: string): void {
  writeBytesAtomic(failedFile(output, key), json({ kind: KIND, version: VERSION, key, status: 'failed', config, error }));
}

/** Metrics by name; NaN (a metric without a labelled example) is stored as null by JSON. */
function isMetricRecord(v: unknown): v is Record<string, number | null> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number' || x === null);
}

function isTaskResult(v: unknown): boolean {
  const t = v as Record<string, unknown> | null;
  return !!t && typeof t.task === 'string' && typeof t.kind === 'string' && isMetricRecord(t.metrics) && (t.validation === null || isMetricRecord(t.validation));
}

/** JSON's nulls back to NaN, so that a missing metric reads as "not a number" and not as 0. */
function restoreNaN(m: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === null ? NaN : v]));
}

/**
 * A result of store version 1 (every task a 10-class classifier, metrics inline, no validation)
 * in today's shape, so that stored sweeps keep their reports.
 */
function upgradeV1(r: Record<string, unknown>): Record<string, unknown> {
  const metrics = (m: Record<string, unknown>) => ({ accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1 });
  const perTask = Array.isArray(r.perTask)
    ? r.perTask.map((t: Record<string, unknown>) => ({ task: t.task, kind: 'multiclass', spec: { kind: 'multiclass', classes: 10 }, metrics: metrics(t), validation: null }))
    : r.perTask;
  return { ...r, perTask, average: r.average && typeof r.average === 'object' ? metrics(r.average as Record<string, unknown>) : r.average };
}

/** Reads one stored run; a reason string when it is not a whole, valid result for `key`. */
export function readRunFile(path: string, key: string): TrainResult | string {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  if (data?.kind !== KIND || (data.version !== VERSION && data.version !== 1) || data.status !== 'ok') return `not an fsmtl run result (kind/version/status)`;
  if (data.key !== key) return `holds run '${String(data.key)}', not '${key}'`;
  const raw = data.result as Record<string, unknown> | undefined;
  const r = (raw && data.version === 1 ? upgradeV1(raw) : raw) as unknown as TrainResult | undefined;
  if (!r || !r.config || !isMetricRecord(r.average) || !Array.isArray(r.perTask) || !r.perTask.length || !r.perTask.every(isTaskResult)) return 'result has no metrics';
  // Local runs hash their config; queue runs their config and thread count (spec.ts, configHash).
  if (!key.endsWith(configHash(r.config)) && !key.endsWith(configHash(r.config, r.engine?.threads))) return 'the stored config does not match the file name';
  r.average = restoreNaN(r.average);
  for (const t of r.perTask) {
    t.metrics = restoreNaN(t.metrics);
    if (t.validation) t.validation = restoreNaN(t.validation);
  }
  return r;
}

function readFailure(path: string, key: string): FailedRun | null {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (data?.kind !== KIND || data.status !== 'failed' || data.key !== key) return null;
    return { key, config: data.config as TrainConfig, error: String(data.error) };
  } catch {
    return null;
  }
}

/**
 * Removes the temporary files of writes that were interrupted (`<file>.<pid>.tmp`, see writeBytesAtomic),
 * unless the process that was writing them is still alive.
 */
export function removeStaleTemporaryFiles(output: string): number {
  let removed = 0;
  for (const dir of [runsDir(output), failedDir(output)]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const m = f.match(/\.(\d+)\.tmp$/);
      if (!m || isAlive(Number(m[1]))) continue;
      rmSync(join(dir, f), { force: true });
      removed++;
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const jsonFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []);

/** Everything stored under `output` (temporary files of interrupted writes are ignored). */
export function readStore(output: string): StoreContents {
  const results = new Map<string, TrainResult>();
  const failed = new Map<string, FailedRun>();
  const corrupt: CorruptFile[] = [];
  for (const f of jsonFiles(runsDir(output))) {
    const key = f.slice(0, -'.json'.length);
    const r = readRunFile(join(runsDir(output), f), key);
    if (typeof r === 'string') corrupt.push({ file: join(runsDir(output), f), reason: r });
    else results.set(key, r);
  }
  for (const f of jsonFiles(failedDir(output))) {
    const key = f.slice(0, -'.json'.length);
    const r = readFailure(join(failedDir(output), f), key);
    if (r && !results.has(key)) failed.set(key, r);
  }
  return { results, failed, corrupt };
}

/** The planned experiment, as the report needs it: rows in order, and which run key belongs to which row. */
export interface Manifest {
  kind: 'fsmtl-experiment';
  version: 1;
  name: string;
  description?: string;
  source: string;
  benchmarks: string[];
  seeds: number[];
  rows: MethodRow[];
  runs: { key: string; benchmark: string; row: number; keep: number | null; seed: number }[];
  reference?: string;
  referenceKeys: Record<string, string>;
  against: string;
  /** Absent in manifests written before it existed (then: 'validation'). */
  select?: 'validation' | 'test';
}

export function manifestOf(e: Experiment): Manifest {
  return {
    kind: 'fsmtl-experiment',
    version: 1,
    name: e.name,
    description: e.description,
    source: e.source,
    benchmarks: e.benchmarks,
    seeds: e.seeds,
    rows: e.rows,
    runs: e.runs.map((r) => ({ key: r.key, benchmark: r.benchmark, row: r.row, keep: r.keep, seed: r.seed })),
    reference: e.reference,
    referenceKeys: e.referenceKeys,
    against: e.against,
    select: e.select,
  };
}

export function writeManifest(output: string, e: Experiment): void {
  writeBytesAtomic(manifestFile(output), json(manifestOf(e)));
}

/** The manifest of a store folder, or null when it has none (runs copied from elsewhere). */
export function readManifest(output: string): Manifest | null {
  const path = manifestFile(output);
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new FsmtlError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (m?.kind !== 'fsmtl-experiment' || !Array.isArray(m.rows) || !Array.isArray(m.runs)) {
    throw new FsmtlError(`${path} is not an fsmtl experiment manifest`);
  }
  return m;
}

export interface StoredOutcomes {
  outcomes: RunOutcome[];
  manifest: Manifest | null;
  corrupt: CorruptFile[];
  /** Stored results that the manifest does not plan (e.g. from an earlier version of the config): left out. */
  unplanned: number;
}

/**
 * Every planned run of a store folder with its result or error. With a manifest, the rows, labels and
 * order are the experiment's; without one, every stored run counts, labelled with the paper's names.
 */
export function storedOutcomes(output: string): StoredOutcomes {
  if (!existsSync(output)) throw new FsmtlError(`no such folder: ${output}`);
  const store = readStore(output);
  const manifest = readManifest(output);
  if (manifest) {
    const outcomes = manifest.runs.map((r): RunOutcome => {
      const row = manifest.rows[r.row];
      return {
        benchmark: r.benchmark,
        label: row.label,
        row: r.row,
        method: row.method,
        weighting: row.weighting,
        keep: r.keep,
        seed: r.seed,
        key: r.key,
        result: store.results.get(r.key),
        error: store.failed.get(r.key)?.error,
      };
    });
    const planned = new Set(manifest.runs.map((r) => r.key));
    return { outcomes, manifest, corrupt: store.corrupt, unplanned: [...store.results.keys()].filter((k) => !planned.has(k)).length };
  }
  const runs = [
    ...[...store.results.values()].map((result) => ({ config: result.config, result, error: undefined as string | undefined })),
    ...[...store.failed.values()].map((f) => ({ config: f.config, result: undefined, error: f.error })),
  ];
  // The paper's row order, for stores without a manifest.
  const label = (c: TrainConfig) => defaultLabel(c.method, c.weighting, c.architecture ?? DEFAULT_ARCHITECTURE);
  const order = new Map(runs.map((r) => [label(r.config), paperOrder(r.config.method, r.config.weighting, r.config.architecture ?? DEFAULT_ARCHITECTURE)]));
  const labels = [...order.keys()].sort((a, b) => order.get(a)! - order.get(b)! || a.localeCompare(b));
  const outcomes = runs.map((r): RunOutcome => {
    const name = label(r.config);
    return {
      benchmark: r.config.benchmark,
      label: name,
      row: labels.indexOf(name),
      method: r.config.method,
      weighting: r.config.weighting,
      keep: KEEP_METHODS.includes(r.config.method) ? r.config.keep : null,
      seed: r.config.seed,
      result: r.result,
      error: r.error,
    };
  });
  return { outcomes, manifest: null, corrupt: store.corrupt, unplanned: 0 };
}
