// An experiment: benchmarks × methods × keep ratios × seeds, from one JSON config. This file validates
// the config and expands it into fully resolved training runs; it does no training and no writing.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { cwd, readFileSync } from '../util/fs.js';
import { basename, dirname, resolve } from 'pathe';
import { dataManifestHash, readDataManifest } from '../data/index.js';
import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';
import { FsmtlError, oneLine } from '../util/errors.js';
import { METHODS } from '../methods/registry.js';
import { weightingLabel, weightingNames } from '../methods/weighting/registry.js';
import { ARCHITECTURES, DEFAULT_ARCHITECTURE } from '../model/architectures/registry.js';

/** Sharing methods whose keep ratio p matters: the experiment runs them once per keep ratio. */
export const KEEP_METHODS: readonly string[] = METHODS.filter((m) => m.traits.keep).map((m) => m.name);

/**
 * The paper's name for a method and weighting: "MTL", "CAGrad" (mtl + cagrad), "FS", "FS+PCGrad"...
 * These names are also the row names of the published tables (tables.json).
 */
export function defaultLabel(method: string, weighting = 'ew', architecture = DEFAULT_ARCHITECTURE): string {
  const m = METHODS.find((e) => e.name === method)?.label ?? method.toUpperCase();
  const w = weighting === 'ew' ? null : weightingLabel(weighting);
  // Another architecture: "MMoE", "MMoE+CAGrad" (mtl on it), "FS (MMoE)", "FS+PCGrad (MMoE)".
  if (architecture !== DEFAULT_ARCHITECTURE) {
    const a = ARCHITECTURES.find((e) => e.name === architecture)?.label ?? architecture;
    if (method === 'mtl') return w ? `${a}+${w}` : a;
    return `${w ? `${m}+${w}` : m} (${a})`;
  }
  if (!w) return m;
  return method === 'mtl' ? w : `${m}+${w}`;
}

/**
 * Sort key of a (method, weighting, architecture) row in the paper's order: STL, MTL and its weightings,
 * SE, TR, MR, RS, FS, EFS; then the same on each other architecture, in the registry's order.
 */
export function paperOrder(method: string, weighting = 'ew', architecture = DEFAULT_ARCHITECTURE): number {
  const m = METHODS.findIndex((e) => e.name === method);
  const w = weightingNames().indexOf(weighting);
  const a = ARCHITECTURES.findIndex((e) => e.name === architecture);
  return (a < 0 ? ARCHITECTURES.length : a) * 100 * (METHODS.length + 1) + (m < 0 ? METHODS.length : m) * 100 + (w < 0 ? 99 : w);
}

/** The p column as the paper prints it: the keep ratio, "1.0" for dense sharing, "-" for STL and SE. */
export function pLabel(method: string, keep: number | null): string {
  const column = METHODS.find((e) => e.name === method)?.traits.pColumn ?? 'dense';
  if (column === 'none') return '-';
  if (keep === null || column !== 'keep') return '1.0';
  return String(keep);
}

const keepRatio = z.number().gt(0, 'keep ratio must be in (0, 1]').lte(1, 'keep ratio must be in (0, 1]');
/** Fields the experiment sets itself; they may not appear in `train`. */
const RUN_FIELDS = ['benchmark', 'method', 'weighting', 'architecture', 'keep', 'seed'] as const;
const trainSettings = z.record(z.string(), z.unknown()).superRefine((o, ctx) => {
  for (const f of RUN_FIELDS) {
    if (f in o) ctx.addIssue({ code: 'custom', path: [f], message: `set by the experiment (use the experiment's or the method entry's own field), not in train` });
  }
});

const unique = <T>(what: string) => (xs: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  xs.forEach((x, i) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate ${what} ${k}` });
    seen.add(k);
  });
};

export const methodEntrySchema = z
  .object({
    /** Row name in the report; default: the paper's name (defaultLabel). */
    label: z.string().min(1).optional(),
    method: z.string().min(1),
    weighting: z.string().min(1).optional(),
    /** Multi-task architecture (src/model/architectures); default hps, the extractor itself. */
    architecture: z.string().min(1).optional(),
    /** Keep ratios for this method (methods in KEEP_METHODS only); default: the experiment's `keep`. */
    keep: z.array(keepRatio).min(1).superRefine(unique('keep ratio')).optional(),
    /** Training settings for this method only, over the experiment's `train`. */
    train: trainSettings.optional(),
  })
  .strict();

export const experimentSchema = z
  .object({
    /** Used in file names and report titles; default: the config file's name. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
    description: z.string().optional(),
    benchmarks: z.array(z.string()).min(1).superRefine(unique('benchmark')),
    methods: z.array(methodEntrySchema).min(1),
    /** Keep ratios of the methods that have one (FS, EFS, RS, TR, MR). */
    keep: z.array(keepRatio).min(1).superRefine(unique('keep ratio')).default([0.3]),
    seeds: z.array(z.number().int().min(0)).min(1).superRefine(unique('seed')).default([0, 1, 2]),
    /** Training settings shared by every run (any field of the train config but the ones above). */
    train: trainSettings.default({}),
    /** Where runs, report and figures go (relative to the config file); default runs/<name> next to it. */
    output: z.string().min(1).optional(),
    /** A second folder to write the report and figures to (relative to the config file), e.g. under docs/. */
    reportDir: z.string().min(1).optional(),
    /** Published results in the shape of tables.json, shown beside ours (relative to the config file). */
    reference: z.string().min(1).optional(),
    /** Which table of the reference file belongs to which benchmark. */
    referenceKeys: z.record(z.string(), z.string()).default({ hetero3: 'dkl-mnist' }),
    /** The method the significance test compares every other method with. */
    against: z.string().min(1).default('FS'),
    /** Where the report chooses each method's keep ratio: 'validation' (held out from training) or 'test' (the paper's protocol). */
    select: z.enum(['validation', 'test']).default('validation'),
    /** Runs at once, one process each; default: the machine's cores. */
    jobs: z.number().int().positive().optional(),
  })
  .strict();

export type ExperimentInput = z.input<typeof experimentSchema>;

/** One row of the report: a method entry with its resolved label. */
export interface MethodRow {
  label: string;
  method: string;
  weighting: string;
}

/** One training run, fully resolved. */
export interface PlannedRun {
  /** File stem in the store: a readable prefix and the hash of the config. */
  key: string;
  benchmark: string;
  label: string;
  /** Index of the method entry, i.e. of the report row. */
  row: number;
  method: string;
  /** The keep ratio for methods that have one, else null. */
  keep: number | null;
  seed: number;
  config: TrainConfig;
}

export interface Experiment {
  name: string;
  description?: string;
  /** The config file (absolute), or '<inline>'. */
  source: string;
  benchmarks: string[];
  seeds: number[];
  rows: MethodRow[];
  runs: PlannedRun[];
  output: string;
  reportDir?: string;
  reference?: string;
  referenceKeys: Record<string, string>;
  against: string;
  select: 'validation' | 'test';
  jobs?: number;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Fields of a config that do not change its result: where the data lives, how many threads compute. */
const NOT_HASHED = ['dataDir', 'data', 'threads'];

/**
 * A config with its data's content hash filled in (user data only): the run hash then follows the
 * data's content, not where the manifest lives.
 */
export function withDataHash(config: TrainConfig): TrainConfig {
  return config.data !== undefined && config.dataHash === undefined ? { ...config, dataHash: dataManifestHash(config.data) } : config;
}

/** How an experiment's benchmark entry names itself in tables: a manifest by its name, else the benchmark's. */
function benchmarkTitle(entry: string, path: string | null): string {
  if (path === null) return entry;
  return readDataManifest(path).name ?? basename(path).replace(/\.json$/i, '');
}

/**
 * A stable hash of everything in a resolved config that can change its result. With `threads` (runs
 * planned for a queue, whose config names a concrete engine), the thread count is hashed too, so that
 * a result says exactly what produced it; local runs leave it out (see docs/distributed.md).
 */
export function configHash(config: TrainConfig, threads?: number): string {
  // Hard sharing leaves the architecture fields out, so runs stored before architectures existed keep their hashes.
  const hps = (config.architecture ?? DEFAULT_ARCHITECTURE) === DEFAULT_ARCHITECTURE;
  const skip = hps ? [...NOT_HASHED, 'architecture', 'architectureOptions'] : NOT_HASHED;
  const hashed: Record<string, unknown> = Object.fromEntries(Object.entries(config).filter(([k]) => !skip.includes(k)));
  if (threads !== undefined) hashed.threads = threads;
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(hashed)))).slice(0, 12);
}

/**
 * The store's file stem for a run: e.g. "hetero3-mtl-cagrad-s0-3f2a9c0e1b7d", "hetero3-fs-p0.3-s1-…";
 * a queue run's also names its engine and threads: "hetero3-fs-p0.3-s1-wasm-t1-…".
 */
export function runKey(config: TrainConfig, threads?: number): string {
  const parts: string[] = [config.benchmark, config.method];
  if (config.weighting !== 'ew') parts.push(config.weighting);
  if ((config.architecture ?? DEFAULT_ARCHITECTURE) !== DEFAULT_ARCHITECTURE) parts.push(config.architecture);
  if (KEEP_METHODS.includes(config.method)) parts.push(`p${config.keep}`);
  parts.push(`s${config.seed}`);
  if (threads !== undefined) parts.push(config.backend, `t${threads}`);
  parts.push(configHash(config, threads));
  return parts.join('-');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Object fields merged one level deep (so `fs` and `weightingOptions` can be overridden field by field). */
function mergeSettings(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      out[k] = isPlainObject(v) && isPlainObject(out[k]) ? { ...(out[k] as object), ...v } : v;
    }
  }
  return out;
}

function issuesMessage(where: string, issues: z.core.$ZodIssue[], fieldName: (path: PropertyKey[]) => string): string {
  return issues
    .flatMap((i) =>
      // An unknown key is reported at its object; name the key itself, so that the message points at it.
      i.code === 'unrecognized_keys' ? i.keys.map((k) => `${where}: ${fieldName([...i.path, k])}: unknown field`) : [`${where}: ${fieldName(i.path)}: ${i.message}`],
    )
    .join('; ');
}

/** Validates an experiment config and expands it into its runs. `source` names the file in error messages. */
export function parseExperiment(input: unknown, source = '<inline>'): Experiment {
  const parsed = experimentSchema.safeParse(input);
  if (!parsed.success) {
    throw new FsmtlError(issuesMessage(source, parsed.error.issues, (p) => p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '') || '(top level)'));
  }
  const spec = parsed.data;
  const baseDir = source === '<inline>' ? cwd() : dirname(resolve(source));
  const name = spec.name ?? (source === '<inline>' ? 'experiment' : resolve(source).replace(/^.*[\\/]/, '').replace(/\.json$/i, ''));

  const rows: MethodRow[] = spec.methods.map((m) => ({
    label: m.label ?? defaultLabel(m.method, m.weighting ?? 'ew', m.architecture ?? DEFAULT_ARCHITECTURE),
    method: m.method,
    weighting: m.weighting ?? 'ew',
  }));
  const labels = new Map<string, number>();
  rows.forEach((r, i) => {
    if (labels.has(r.label)) {
      throw new FsmtlError(`${source}: methods[${i}].label: '${r.label}' is also the label of methods[${labels.get(r.label)}]; give one of them its own "label"`);
    }
    labels.set(r.label, i);
  });

  // Resolve and validate every distinct (benchmark, method entry, keep); seeds only change `seed`.
  const runs: PlannedRun[] = [];
  const resolved: { benchmark: string; row: number; keep: number | null; config: TrainConfig }[] = [];
  const titles: string[] = [];
  for (const entry of spec.benchmarks) {
    // An entry ending in .json is a data manifest (relative to the config file), e.g. examples/tabular/tasks.json.
    const manifest = /\.json$/i.test(entry) ? resolve(baseDir, entry) : null;
    const benchmark = benchmarkTitle(entry, manifest);
    titles.push(benchmark);
    spec.methods.forEach((entry, row) => {
      const hasKeep = KEEP_METHODS.includes(entry.method);
      if (entry.keep && !hasKeep) {
        throw new FsmtlError(`${source}: methods[${row}].keep: ${entry.method} has no keep ratio (only ${KEEP_METHODS.join(', ')} do)`);
      }
      const keeps: (number | null)[] = hasKeep ? (entry.keep ?? spec.keep) : [null];
      for (const keep of keeps) {
        const own = { ...(manifest ? { data: manifest } : { benchmark }), method: entry.method, ...(entry.weighting ? { weighting: entry.weighting } : {}), ...(entry.architecture ? { architecture: entry.architecture } : {}), ...(keep !== null ? { keep } : {}), seed: spec.seeds[0] };
        const input = mergeSettings(spec.train, entry.train ?? {}, own);
        // Like every path in the config, the data folder is relative to the config file.
        if (typeof input.dataDir === 'string' && input.dataDir !== '') input.dataDir = resolve(baseDir, input.dataDir);
        const r = trainConfigSchema.safeParse(input);
        if (!r.success) {
          const field = (path: PropertyKey[]) => {
            const head = String(path[0] ?? '');
            const dotted = path.map(String).join('.');
            if (head === 'benchmark' || head === 'data') return `benchmarks (${benchmark})`;
            if (head === 'method' || head === 'weighting' || head === 'architecture') return `methods[${row}].${dotted}`;
            if (head === 'keep') return entry.keep ? `methods[${row}].keep` : 'keep';
            if (entry.train && head in entry.train) return `methods[${row}].train.${dotted}`;
            return `train.${dotted}`;
          };
          throw new FsmtlError(issuesMessage(`${source} (${rows[row].label} on ${benchmark})`, r.error.issues, field));
        }
        resolved.push({ benchmark, row, keep, config: withDataHash(r.data) });
      }
    });
  }
  // Seed-major order: an interrupted sweep has whole tables for its first seeds.
  for (const seed of spec.seeds) {
    for (const { benchmark, row, keep, config } of resolved) {
      const c: TrainConfig = { ...config, seed };
      runs.push({ key: runKey(c), benchmark, label: rows[row].label, row, method: c.method, keep, seed, config: c });
    }
  }
  const dup = runs.find((r, i) => runs.findIndex((s) => s.key === r.key) !== i);
  if (dup) {
    const first = runs.find((s) => s.key === dup.key)!;
    throw new FsmtlError(`${source}: methods '${first.label}' and '${dup.label}' resolve to the same training run on ${dup.benchmark}; remove one`);
  }

  const rel = (p: string | undefined) => (p === undefined ? undefined : resolve(baseDir, p));
  return {
    name,
    description: spec.description,
    source: source === '<inline>' ? source : resolve(source),
    benchmarks: titles,
    seeds: spec.seeds,
    rows,
    runs,
    output: rel(spec.output) ?? resolve(baseDir, 'runs', name),
    reportDir: rel(spec.reportDir),
    reference: rel(spec.reference),
    referenceKeys: spec.referenceKeys,
    against: spec.against,
    select: spec.select,
    jobs: spec.jobs,
  };
}

/** Reads, validates and expands an experiment config file; every problem is an FsmtlError naming the file and field. */
export function loadExperiment(path: string): Experiment {
  let text: string;
  try {
    text = new TextDecoder().decode(readFileSync(path));
  } catch (e) {
    throw new FsmtlError(`cannot read experiment config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FsmtlError(`experiment config ${path} is not valid JSON: ${oneLine((e as Error).message)}`);
  }
  return parseExperiment(json, path);
}
