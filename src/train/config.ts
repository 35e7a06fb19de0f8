// The validated configuration of one training run. Every option the paper leaves open is here with the
// paper's reading as the default; docs/method.md explains each.
import { z } from 'zod';
import { BACKEND_NAMES } from '../engine/setup.js';
import { FsmtlError } from '../util/errors.js';
import { applyFsPreset, FS_PRESET_NAMES, FS_PRESETS } from './fs-presets.js';
import { benchmarkSettings, BENCHMARK_NAMES as DATA_BENCHMARK_NAMES } from '../data/index.js';
import { METHODS, methodNames, methodTraits } from '../methods/registry.js';
import { weightingNames } from '../methods/weighting/registry.js';
import { EXTRACTOR_NAMES } from '../model/extractor.js';
import { architectureNames, DEFAULT_ARCHITECTURE } from '../model/architectures/registry.js';

/** Names derived from the registries (src/methods, src/methods/weighting, src/data), in their order. */
export const METHOD_NAMES = methodNames() as [string, ...string[]];
export const BENCHMARK_NAMES = DATA_BENCHMARK_NAMES as unknown as [string, ...string[]];
export const WEIGHTING_NAMES = weightingNames() as [string, ...string[]];
export const ARCHITECTURE_NAMES = architectureNames() as [string, ...string[]];

/** Sharing methods whose tasks own a mask over the shared parameters. */
export const MASKED_METHODS: readonly string[] = METHODS.filter((m) => m.traits.masked).map((m) => m.name);

const positiveInt = z.number().int().positive();

export const fsOptionsSchema = z
  .object({
    /** Dense epochs before the first mask (Algorithm 1, line 1). */
    warmupEpochs: z.number().int().min(0).default(2).meta({ flag: 'warmup', arg: 'epochs', help: 'dense epochs before the first mask' }),
    /** Masks are recomputed every `interval` epochs after the warm-up (Algorithm 1's "update condition"). */
    interval: positiveInt.default(1).meta({ arg: 'epochs', help: 'recompute masks every n epochs' }),
    /** N: examples per task for one Fisher estimate (Algorithm 2, line 2). */
    samples: positiveInt.default(256).meta({ flag: 'fisher-samples', arg: 'n', help: 'examples per Fisher estimate (N)' }),
    /** Whose log-probability: the model's prediction (Eq. 10), the true label, or the exact expectation (Eq. 9). */
    label: z.enum(['predicted', 'true', 'exact']).default('predicted').meta({ flag: 'fisher-label', arg: 'label', help: 'log-probability of which label' }),
    /** Top-K over the whole extractor (Eq. 11), inside each layer, or inside each output unit. */
    scope: z.enum(['global', 'layer', 'unit']).default('global').meta({ help: 'top-K over the whole extractor, per layer or per unit (also RS)' }),
    /** 'forward': a task sees S_t ⊙ θsh (Eq. 3) and updates only S_t (Eq. 4); 'update': dense forward, masked update (Eq. 4 only). */
    placement: z.enum(['forward', 'update']).default('forward').meta({ arg: 'where', help: 'mask in forward and update (Eqs. 3-4) or update only (Eq. 4) (also RS)' }),
    /** Fisher evaluated on the dense extractor θsh (every parameter can enter the mask) or on S_t ⊙ θsh. */
    fisherNetwork: z.enum(['dense', 'masked']).default('dense').meta({ arg: 'network', help: 'Fisher on the dense extractor or on the masked one' }),
    /** Keep ratio over mask updates: p from the first mask, or annealed linearly from 1 to p over `annealEpochs`. */
    schedule: z.enum(['fixed', 'anneal']).default('fixed').meta({ help: 'keep ratio p from the first mask, or annealed from 1 to p' }),
    annealEpochs: positiveInt.default(3).meta({ arg: 'n', help: 'mask updates over which p is annealed' }),
    /** Fisher rescaled per layer (divided by the layer's mean) before a global top-K, or used as is. */
    normalize: z.enum(['none', 'layer']).default('none').meta({ arg: 'how', help: 'rescale Fisher per layer before a global top-K' }),
    /** Overlap control λ ≥ 0: rank by own Fisher quantile minus λ × the other tasks' mean quantile (0: off). */
    diversity: z.number().min(0).default(0).meta({ arg: 'lambda', help: "overlap control, own Fisher quantile minus lambda × the other tasks' mean" }),
    /** Fisher smoothing across recomputes: exponential average with factor β in [0, 1) (0: off). */
    smoothing: z.number().min(0).lt(1, 'smoothing must be in [0, 1)').default(0).meta({ arg: 'beta', help: 'exponential average of Fisher across recomputes, beta in [0, 1)' }),
  })
  .strict();

export const mrOptionsSchema = z
  .object({
    /** MR: epochs over which the unit subsets roam until every task has used every unit (default: half the training). */
    roamingEpochs: positiveInt.optional().meta({ arg: 'n', help: 'epochs over which unit subsets roam (default: half the epochs)' }),
  })
  .strict();

export const seOptionsSchema = z
  .object({
    /** SE: bottleneck reduction r of each task's squeeze-and-excitation block (hidden width = max(1, units / r)). */
    reduction: positiveInt.default(16).meta({ flag: 'se-reduction', arg: 'r', help: 'bottleneck reduction of the squeeze-and-excitation blocks' }),
  })
  .strict();

export const weightingOptionsSchema = z
  .object({
    gradnormAlpha: z.number().positive().default(1.5).meta({ arg: 'alpha', help: 'GradNorm: asymmetry α of the target gradient norms' }),
    gradnormLr: z.number().positive().default(0.025).meta({ arg: 'rate', help: "GradNorm: learning rate of the task weights" }),
    cagradC: z.number().min(0).default(0.4).meta({ arg: 'c', help: 'CAGrad: radius c of the conflict-averse ball' }),
    dwaTemperature: z.number().positive().default(2).meta({ arg: 't', help: 'DWA: softmax temperature T' }),
    nashMaxIter: positiveInt.default(50).meta({ arg: 'n', help: 'Nash-MTL: solver iterations per step' }),
    // The later methods' options are optional, without a default here, so that configs that do not set
    // them keep their hash (stored runs stay valid); createWeighting fills in DEFAULT_WEIGHTING_OPTIONS.
    gradvacBeta: z.number().gt(0).lte(1).optional().meta({ arg: 'beta', help: 'GradVac: EMA rate of the target cosines (default 0.5)' }),
    famoLr: z.number().positive().optional().meta({ arg: 'rate', help: 'FAMO: Adam learning rate of the task logits (default 0.025)' }),
    famoGamma: z.number().min(0).optional().meta({ arg: 'gamma', help: 'FAMO: L2 decay γ of the task logits (default 0.001)' }),
    dbmtlBeta: z.number().min(0).lt(1).optional().meta({ arg: 'beta', help: 'DB-MTL: EMA rate of the log-loss gradients (default 0.9)' }),
    dbmtlBetaSigma: z.number().min(0).optional().meta({ arg: 'sigma', help: 'DB-MTL: decay exponent σ of the EMA rate, β/k^σ at step k (default 0)' }),
    fairgradAlpha: z.number().positive().optional().meta({ arg: 'alpha', help: 'FairGrad: fairness α of the α-fair utility (default 1)' }),
    stchMu: z.number().positive().optional().meta({ arg: 'mu', help: 'STCH: smoothing μ of the Tchebycheff maximum (default 1)' }),
    stchWarmupEpochs: z.number().int().min(0).optional().meta({ arg: 'epochs', help: 'STCH: epochs of log-loss warm-up before the nadir point is fixed (default 4)' }),
    upgradNormEps: z.number().min(0).optional().meta({ arg: 'eps', help: 'UPGrad: floor under the Gram trace, below which the Gram is not normalised (default 0)' }),
    upgradRegEps: z.number().min(0).optional().meta({ arg: 'eps', help: 'UPGrad: ridge added to the normalised Gram (default 1e-4)' }),
    graddropLeak: z.number().min(0).max(1).optional().meta({ arg: 'leak', help: 'GradDrop: share of each gradient kept regardless of sign (default 0)' }),
    mocoBeta: z.number().gt(0).lte(1).optional().meta({ arg: 'beta', help: 'MoCo: rate of the tracked gradients (default 0.5)' }),
    mocoBetaSigma: z.number().min(0).optional().meta({ arg: 'sigma', help: 'MoCo: decay exponent of beta (default 0.5)' }),
    mocoGamma: z.number().positive().optional().meta({ arg: 'gamma', help: 'MoCo: step size γ of the task weights λ (default 0.1)' }),
    mocoGammaSigma: z.number().min(0).optional().meta({ arg: 'sigma', help: 'MoCo: decay exponent of gamma (default 0.5)' }),
    mocoRho: z.number().min(0).optional().meta({ arg: 'rho', help: 'MoCo: ridge ρ of the λ step (default 0)' }),
  })
  .strict();

export const architectureOptionsSchema = z
  .object({
    experts: positiveInt.default(4).meta({ arg: 'n', help: 'MMoE, DSelect-k: shared experts (DSelect-k: a power of two)' }),
    sharedExperts: positiveInt.default(2).meta({ arg: 'n', help: 'CGC, PLE: shared experts' }),
    taskExperts: z.number().int().min(0).default(1).meta({ arg: 'n', help: "CGC, PLE: experts of each task's own" }),
    selectors: positiveInt.default(2).meta({ arg: 'k', help: 'DSelect-k: selectors k of each gate' }),
    gamma: z.number().positive().default(1).meta({ flag: 'dselect-gamma', arg: 'gamma', help: "DSelect-k: width γ of the gates' smooth-step" }),
  })
  .strict();

/** The config's fields; src/cli/config-flags.ts makes a command-line flag of each field with `help` meta. */
export const trainConfigObject = z
  .object({
    benchmark: z.enum(BENCHMARK_NAMES).default('hetero3').meta({ arg: 'name', help: 'benchmark' }),
    /** Folder holding the datasets (default: FSMTL_DATA, else ../shared/data). */
    dataDir: z.string().optional().meta({ arg: 'dir', help: 'folder with the datasets (default: $FSMTL_DATA, else ../shared/data)' }),
    /** Your own tasks: a data manifest (docs/data-manifest.md); the benchmark is then 'data'. */
    data: z.string().min(1).optional().meta({ arg: 'manifest', help: 'your own tasks: a data manifest, JSON (docs/data-manifest.md); replaces --benchmark' }),
    /**
     * Content hash of the data manifest and every file it names, filled in by fsmtl when it plans a run
     * (so that a run's hash changes with the data, and a worker can tell the data changed since).
     */
    dataHash: z.string().optional().meta({ cli: false }),
    method: z.enum(METHOD_NAMES).default('fs').meta({ arg: 'name', help: 'sharing method' }),
    /** How the tasks' gradients on the shared parameters are combined; any weighting works with any sharing method but STL. */
    weighting: z.enum(WEIGHTING_NAMES).default('ew').meta({ arg: 'name', help: "how the tasks' shared gradients are combined" }),
    weightingOptions: weightingOptionsSchema.default(weightingOptionsSchema.parse({})).meta({ flagPrefix: '' }),
    /** Keep ratio p: of the shared parameters (FS, EFS, RS) or of each layer's units (TR, MR). */
    keep: z.number().gt(0, 'keep ratio must be in (0, 1]').lte(1, 'keep ratio must be in (0, 1]').default(0.3).meta({ arg: 'p', help: "keep ratio p, in (0, 1]: of the shared parameters (fs, efs, rs) or of each layer's units (tr, mr)" }),
    arch: z.enum(EXTRACTOR_NAMES).default('mlp').meta({ arg: 'arch', help: 'shared extractor' }),
    /** Multi-task architecture over the extractor (src/model/architectures): hps shares the extractor itself. */
    architecture: z.enum(ARCHITECTURE_NAMES).default(DEFAULT_ARCHITECTURE).meta({ arg: 'name', help: 'multi-task architecture built over the extractor (docs/architectures.md)' }),
    architectureOptions: architectureOptionsSchema.default(architectureOptionsSchema.parse({})),
    /** Hidden widths of the MLP extractor. */
    hidden: z.array(positiveInt).min(1).default([512, 512]).meta({ arg: 'widths', help: 'mlp: comma-separated hidden layer widths, e.g. 256,256' }),
    epochs: positiveInt.default(10).meta({ arg: 'n', help: 'training epochs' }),
    /** Examples per task in each step. */
    batchSize: positiveInt.default(128).meta({ arg: 'n', help: 'examples per task in each step' }),
    lr: z.number().positive().default(1e-3).meta({ arg: 'rate', help: 'Adam learning rate' }),
    seed: z.number().int().min(0).default(0).meta({ arg: 'n', help: 'random seed (weights, batch order, masks)' }),
    /** hetero3: training examples per task (class-stratified subset). */
    trainPerTask: positiveInt.default(8000).meta({ arg: 'n', help: 'hetero3: training examples per task' }),
    /**
     * Fraction of each task's training examples held out (seeded, the same for every method and seed) to
     * choose on: the report picks keep ratios by validation metrics. 0: none (the paper's protocol).
     */
    validation: z.number().min(0).max(0.5, 'validation must be a fraction in [0, 0.5]').default(0.1).meta({ arg: 'fraction', help: 'fraction of the training examples held out to choose on (0: none)' }),
    /** Test examples per task (hetero3) or in total (multimnist). */
    testPerTask: positiveInt.default(2000).meta({ arg: 'n', help: 'test examples per task' }),
    /** multimnist, morpho, celeba: number of training images. */
    trainSize: positiveInt.default(10000).meta({ arg: 'n', help: 'multimnist, morpho, celeba, scenes, cityscapes, nyuv2: training images (cityscapes, nyuv2: at most)' }),
    /** celeba: attributes, one binary task each (default: the 8 of DEFAULT_CELEBA_ATTRIBUTES). */
    attributes: z.array(z.string().min(1)).min(1).optional().meta({ arg: 'names', help: 'celeba: comma-separated attributes, one binary task each' }),
    /** celeba: side of the square face images (default 64). */
    imageSize: positiveInt.optional().meta({ arg: 'n', help: 'celeba: side of the square face images; scenes: side of the scenes (default 64)' }),
    backend: z.enum(BACKEND_NAMES).default('auto').meta({ arg: 'name', help: 'tensor engine' }),
    /** FS/EFS: a named configuration (src/train/fs-presets.ts) filling the keep ratio and FS options left unset. */
    preset: z.enum(FS_PRESET_NAMES).optional().meta({ arg: 'name', help: `FS/EFS: a named configuration for the FS options and --keep (any you give win): ${FS_PRESET_NAMES.map((n) => `${n} = ${FS_PRESETS[n].summary}`).join('; ')}` }),
    fs: fsOptionsSchema.default(fsOptionsSchema.parse({})).meta({ helpPrefix: 'FS: ' }),
    mr: mrOptionsSchema.default(mrOptionsSchema.parse({})).meta({ helpPrefix: 'MR: ' }),
    se: seOptionsSchema.default(seOptionsSchema.parse({})).meta({ helpPrefix: 'SE: ' }),
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
    if (c.architecture !== DEFAULT_ARCHITECTURE && (traits.separateTowers || c.method === 'se')) {
      const why = traits.separateTowers ? 'shares no network' : 'has its own task modules (squeeze-and-excitation blocks)';
      ctx.addIssue({ code: 'custom', path: ['architecture'], message: `${c.method} ${why}, so it does not combine with architecture '${c.architecture}'` });
    }
    if (c.architecture === 'dselect-k' && !Number.isInteger(Math.log2(c.architectureOptions.experts))) {
      ctx.addIssue({ code: 'custom', path: ['architectureOptions', 'experts'], message: `dselect-k needs a power of two of experts (2, 4, 8...), got ${c.architectureOptions.experts}` });
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

/**
 * Validates a config; errors name the offending field, e.g. "config.keep: keep ratio must be in (0, 1]". `where` names the place of a field in errors: a prefix ('config' gives
 * config.fs.samples), or a function of the field's path (the CLI names the flag or the file that set it).
 */
export function parseTrainConfig(input: unknown, where: string | ((path: PropertyKey[]) => string) = 'config'): TrainConfig {
  const r = trainConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const place = typeof where === 'function' ? where : (path: PropertyKey[]) => (path.length ? `${where}.${path.map(String).join('.')}` : where);
  throw new FsmtlError(r.error.issues.map((i) => `${place(i.path)}: ${i.message}`).join('; '));
}
