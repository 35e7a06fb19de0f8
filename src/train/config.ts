// The validated configuration of one training run. Every option the paper leaves open is here with the
// paper's reading as the default; docs/method.md explains each.
import { z } from 'zod';
import { BACKEND_NAMES } from '../engine/setup.js';
import { FsmtlError } from '../util/errors.js';
import { applyFsPreset, FS_PRESET_NAMES } from './fs-presets.js';
import { benchmarkSettings, BENCHMARK_NAMES as DATA_BENCHMARK_NAMES } from '../data/index.js';
import { METHODS, methodNames, methodTraits } from '../methods/registry.js';
import { weightingNames } from '../methods/weighting/registry.js';
import { EXTRACTOR_NAMES } from '../model/extractor.js';

/** Names derived from the registries (src/methods, src/methods/weighting, src/data), in their order. */
export const METHOD_NAMES = methodNames() as [string, ...string[]];
export const BENCHMARK_NAMES = DATA_BENCHMARK_NAMES as unknown as [string, ...string[]];
export const WEIGHTING_NAMES = weightingNames() as [string, ...string[]];

/** Sharing methods whose tasks own a mask over the shared parameters. */
export const MASKED_METHODS: readonly string[] = METHODS.filter((m) => m.traits.masked).map((m) => m.name);

const positiveInt = z.number().int().positive();

export const fsOptionsSchema = z
  .object({
    /** Dense epochs before the first mask (Algorithm 1, line 1). */
    warmupEpochs: z.number().int().min(0).default(2),
    /** Masks are recomputed every `interval` epochs after the warm-up (Algorithm 1's "update condition"). */
    interval: positiveInt.default(1),
    /** N: examples per task for one Fisher estimate (Algorithm 2, line 2). */
    samples: positiveInt.default(256),
    /** Whose log-probability: the model's prediction (Eq. 10), the true label, or the exact expectation (Eq. 9). */
    label: z.enum(['predicted', 'true', 'exact']).default('predicted'),
    /** Top-K over the whole extractor (Eq. 11), inside each layer, or inside each output unit. */
    scope: z.enum(['global', 'layer', 'unit']).default('global'),
    /** 'forward': a task sees S_t ⊙ θsh (Eq. 3) and updates only S_t (Eq. 4); 'update': dense forward, masked update (Eq. 4 only). */
    placement: z.enum(['forward', 'update']).default('forward'),
    /** Fisher evaluated on the dense extractor θsh (every parameter can enter the mask) or on S_t ⊙ θsh. */
    fisherNetwork: z.enum(['dense', 'masked']).default('dense'),
    /** Keep ratio over mask updates: p from the first mask, or annealed linearly from 1 to p over `annealEpochs`. */
    schedule: z.enum(['fixed', 'anneal']).default('fixed'),
    annealEpochs: positiveInt.default(3),
    /** Fisher rescaled per layer (divided by the layer's mean) before a global top-K, or used as is. */
    normalize: z.enum(['none', 'layer']).default('none'),
    /** Overlap control λ ≥ 0: rank by own Fisher quantile minus λ × the other tasks' mean quantile (0: off). */
    diversity: z.number().min(0).default(0),
    /** Fisher smoothing across recomputes: exponential average with factor β in [0, 1) (0: off). */
    smoothing: z.number().min(0).lt(1, 'smoothing must be in [0, 1)').default(0),
  })
  .strict();

export const mrOptionsSchema = z
  .object({
    /** MR: epochs over which the unit subsets roam until every task has used every unit (default: half the training). */
    roamingEpochs: positiveInt.optional(),
  })
  .strict();

export const seOptionsSchema = z
  .object({
    /** SE: bottleneck reduction r of each task's squeeze-and-excitation block (hidden width = max(1, units / r)). */
    reduction: positiveInt.default(16),
  })
  .strict();

export const weightingOptionsSchema = z
  .object({
    gradnormAlpha: z.number().positive().default(1.5),
    gradnormLr: z.number().positive().default(0.025),
    cagradC: z.number().min(0).default(0.4),
    dwaTemperature: z.number().positive().default(2),
    nashMaxIter: positiveInt.default(50),
    // The later methods' options are optional, without a default here, so that configs that do not set
    // them keep their hash (stored runs stay valid); createWeighting fills in DEFAULT_WEIGHTING_OPTIONS.
    gradvacBeta: z.number().gt(0).lte(1).optional(),
    famoLr: z.number().positive().optional(),
    famoGamma: z.number().min(0).optional(),
    dbmtlBeta: z.number().min(0).lt(1).optional(),
    dbmtlBetaSigma: z.number().min(0).optional(),
    fairgradAlpha: z.number().positive().optional(),
    stchMu: z.number().positive().optional(),
    stchWarmupEpochs: z.number().int().min(0).optional(),
    upgradNormEps: z.number().min(0).optional(),
    upgradRegEps: z.number().min(0).optional(),
    graddropLeak: z.number().min(0).max(1).optional(),
    mocoBeta: z.number().gt(0).lte(1).optional(),
    mocoBetaSigma: z.number().min(0).optional(),
    mocoGamma: z.number().positive().optional(),
    mocoGammaSigma: z.number().min(0).optional(),
    mocoRho: z.number().min(0).optional(),
  })
  .strict();

const trainConfigObject = z
  .object({
    benchmark: z.enum(BENCHMARK_NAMES).default('hetero3'),
    /** Folder holding the datasets (default: FSMTL_DATA, else ../shared/data). */
    dataDir: z.string().optional(),
    /** Your own tasks: a data manifest (docs/data-manifest.md); the benchmark is then 'data'. */
    data: z.string().min(1).optional(),
    /**
     * Content hash of the data manifest and every file it names, filled in by fsmtl when it plans a run
     * (so that a run's hash changes with the data, and a worker can tell the data changed since).
     */
    dataHash: z.string().optional(),
    method: z.enum(METHOD_NAMES).default('fs'),
    /** How the tasks' gradients on the shared parameters are combined; any weighting works with any sharing method but STL. */
    weighting: z.enum(WEIGHTING_NAMES).default('ew'),
    weightingOptions: weightingOptionsSchema.default(weightingOptionsSchema.parse({})),
    /** Keep ratio p: of the shared parameters (FS, EFS, RS) or of each layer's units (TR, MR). */
    keep: z.number().gt(0, 'keep ratio must be in (0, 1]').lte(1, 'keep ratio must be in (0, 1]').default(0.3),
    arch: z.enum(EXTRACTOR_NAMES).default('mlp'),
    /** Hidden widths of the MLP extractor. */
    hidden: z.array(positiveInt).min(1).default([512, 512]),
    epochs: positiveInt.default(10),
    /** Examples per task in each step. */
    batchSize: positiveInt.default(128),
    lr: z.number().positive().default(1e-3),
    seed: z.number().int().min(0).default(0),
    /** hetero3: training examples per task (class-stratified subset). */
    trainPerTask: positiveInt.default(8000),
    /**
     * Fraction of each task's training examples held out (seeded, the same for every method and seed) to
     * choose on: the report picks keep ratios by validation metrics. 0: none (the paper's protocol).
     */
    validation: z.number().min(0).max(0.5, 'validation must be a fraction in [0, 0.5]').default(0.1),
    /** Test examples per task (hetero3) or in total (multimnist). */
    testPerTask: positiveInt.default(2000),
    /** multimnist, morpho, celeba: number of training images. */
    trainSize: positiveInt.default(10000),
    /** celeba: attributes, one binary task each (default: the 8 of DEFAULT_CELEBA_ATTRIBUTES). */
    attributes: z.array(z.string().min(1)).min(1).optional(),
    /** celeba: side of the square face images (default 64). */
    imageSize: positiveInt.optional(),
    backend: z.enum(BACKEND_NAMES).default('auto'),
    /** FS/EFS: a named configuration (src/train/fs-presets.ts) filling the keep ratio and FS options left unset. */
    preset: z.enum(FS_PRESET_NAMES).optional(),
    fs: fsOptionsSchema.default(fsOptionsSchema.parse({})),
    mr: mrOptionsSchema.default(mrOptionsSchema.parse({})),
    se: seOptionsSchema.default(seOptionsSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.benchmark === 'data') !== (c.data !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.data === undefined ? 'benchmark' : 'data'],
        message: c.data === undefined ? "benchmark 'data' needs a data manifest (data, --data)" : `data (a manifest) and benchmark '${c.benchmark}' exclude each other`,
      });
    }
    const traits = methodTraits(c.method);
    // A field another benchmark reads would be silently ignored: say so.
    const reads = benchmarkSettings(c.benchmark);
    for (const field of ['attributes', 'imageSize'] as const) {
      if (c[field] !== undefined && !reads.includes(field)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `benchmark '${c.benchmark}' has no use for ${field} (it reads ${reads.join(', ')})` });
      }
    }
    if (traits.separateTowers && c.weighting !== 'ew') {
      ctx.addIssue({ code: 'custom', path: ['weighting'], message: `${c.method} shares no parameters, so there is nothing for '${c.weighting}' to weight` });
    }
    if (c.preset !== undefined && !['fs', 'efs'].includes(c.method)) {
      ctx.addIssue({ code: 'custom', path: ['preset'], message: `preset '${c.preset}' configures fs and efs; method '${c.method}' has no use for it` });
    }
    // A sparse method whose masks never arrive would silently train as MTL.
    if (traits.fsOptions && c.epochs <= c.fs.warmupEpochs) {
      ctx.addIssue({
        code: 'custom',
        path: ['epochs'],
        message: `${c.method} applies its masks after ${c.fs.warmupEpochs} warm-up epoch(s), so it needs more epochs than that (got ${c.epochs}); lower fs.warmupEpochs (--warmup) or raise epochs`,
      });
    }
  });

/** A config with a data manifest and no benchmark trains on 'data', the benchmark of manifests. */
function dataBenchmark(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const c = input as Record<string, unknown>;
  return c.data !== undefined && c.benchmark === undefined ? { ...c, benchmark: 'data' } : input;
}

/** The train config schema. A named preset is expanded before validation, so every parse applies it. */
export const trainConfigSchema = z.preprocess((input: unknown) => applyFsPreset(dataBenchmark(input)), trainConfigObject);

export type TrainConfig = z.output<typeof trainConfigObject>;
export type TrainConfigInput = z.input<typeof trainConfigObject>;
export type FsOptions = z.output<typeof fsOptionsSchema>;

/** Validates a config; errors name the offending field, e.g. "config.keep: keep ratio must be in (0, 1]". */
export function parseTrainConfig(input: unknown, where = 'config'): TrainConfig {
  const r = trainConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const path = i.path.length ? `${where}.${i.path.join('.')}` : where;
    return `${path}: ${i.message}`;
  });
  throw new FsmtlError(issues.join('; '));
}
