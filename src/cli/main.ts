// The `fsmtl` command line.
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { BACKEND_NAMES, initEngine } from '../engine/setup.js';
import { compareMethods, runTraining, runTrainingWithModel } from '../experiments/run.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { EXTRACTOR_NAMES, type ExtractorArch } from '../model/extractor.js';
import { BENCHMARK_NAMES, METHOD_NAMES, WEIGHTING_NAMES, parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../train/config.js';
import { FS_PRESET_NAMES, FS_PRESETS } from '../train/fs-presets.js';
import { FSMTL_VERSION, type TrainOptions, type TrainResult } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { FsmtlError } from '../util/errors.js';
import { addExperimentCommands } from './experiment-commands.js';
import { addDoctorCommand } from './doctor.js';
import { addModelCommands } from './model-commands.js';
import { createProgress } from './progress.js';
import { maskTable, methodLabel, perTaskTable, seedTable } from './table.js';

function number(name: string, integer = false) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'}, got '${v}'`);
    }
    return n;
  };
}

function readConfigFile(path: string): TrainConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FsmtlError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as TrainConfigInput;
  } catch (e) {
    throw new FsmtlError(`config ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Options shared by `train` and `demo`, mapped onto the config (flags override the config file). */
function addTrainingOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file (same fields as the flags; flags win)')
    .option('--data-dir <dir>', 'folder with the datasets (default: $FSMTL_DATA, else ../shared/data)')
    .option('--keep <p>', "keep ratio p, in (0, 1]: of the shared parameters (fs, efs, rs) or of each layer's units (tr, mr)", number('--keep'))
    .option('--epochs <n>', 'training epochs', number('--epochs', true))
    .option('--seed <n>', 'random seed (weights, batch order, masks)', number('--seed', true))
    .addOption(new Option('--arch <arch>', 'shared extractor').choices(EXTRACTOR_NAMES))
    .option('--batch-size <n>', 'examples per task in each step', number('--batch-size', true))
    .option('--lr <rate>', 'Adam learning rate', number('--lr'))
    .option('--train-per-task <n>', 'hetero3: training examples per task', number('--train-per-task', true))
    .option('--train-size <n>', 'multimnist: training images', number('--train-size', true))
    .option('--test-per-task <n>', 'test examples per task', number('--test-per-task', true))
    .addOption(new Option('--backend <name>', 'tensor engine').choices([...BACKEND_NAMES]))
    .addOption(
      new Option('--preset <name>', `FS/EFS: a named configuration for the options below and --keep (any you give win): ${FS_PRESET_NAMES.map((n) => `${n} = ${FS_PRESETS[n].summary}`).join('; ')}`).choices([...FS_PRESET_NAMES]),
    )
    .option('--warmup <epochs>', 'FS: dense epochs before the first mask', number('--warmup', true))
    .option('--interval <epochs>', 'FS: recompute masks every n epochs', number('--interval', true))
    .option('--fisher-samples <n>', 'FS: examples per Fisher estimate (N)', number('--fisher-samples', true))
    .addOption(new Option('--fisher-label <label>', 'FS: log-probability of which label').choices(['predicted', 'true', 'exact']))
    .addOption(new Option('--scope <scope>', 'FS/RS: top-K over the whole extractor, per layer or per unit').choices(['global', 'layer', 'unit']))
    .addOption(new Option('--schedule <schedule>', 'FS: keep ratio p from the first mask, or annealed from 1 to p').choices(['fixed', 'anneal']))
    .option('--anneal-epochs <n>', 'FS: mask updates over which p is annealed', number('--anneal-epochs', true))
    .addOption(new Option('--normalize <how>', 'FS: rescale Fisher per layer before a global top-K').choices(['none', 'layer']))
    .option('--diversity <lambda>', "FS: overlap control, own Fisher quantile minus lambda × the other tasks' mean", number('--diversity'))
    .option('--smoothing <beta>', 'FS: exponential average of Fisher across recomputes, beta in [0, 1)', number('--smoothing'))
    .addOption(new Option('--placement <where>', 'FS/RS: mask in forward and update (Eqs. 3-4) or update only (Eq. 4)').choices(['forward', 'update']))
    .addOption(new Option('--weighting <name>', 'how the tasks\' shared gradients are combined').choices([...WEIGHTING_NAMES]))
    .option('--roaming-epochs <n>', 'MR: epochs over which unit subsets roam (default: half the epochs)', number('--roaming-epochs', true))
    .option('--se-reduction <r>', 'SE: bottleneck reduction of the squeeze-and-excitation blocks', number('--se-reduction', true))
    .option('--quiet', 'no progress output');
}

interface TrainingFlags {
  config?: string;
  dataDir?: string;
  keep?: number;
  epochs?: number;
  seed?: number;
  arch?: ExtractorArch;
  batchSize?: number;
  lr?: number;
  trainPerTask?: number;
  trainSize?: number;
  testPerTask?: number;
  backend?: TrainConfig['backend'];
  preset?: TrainConfig['preset'];
  warmup?: number;
  interval?: number;
  fisherSamples?: number;
  fisherLabel?: TrainConfig['fs']['label'];
  scope?: TrainConfig['fs']['scope'];
  placement?: TrainConfig['fs']['placement'];
  schedule?: TrainConfig['fs']['schedule'];
  annealEpochs?: number;
  normalize?: TrainConfig['fs']['normalize'];
  diversity?: number;
  smoothing?: number;
  weighting?: TrainConfig['weighting'];
  roamingEpochs?: number;
  seReduction?: number;
  quiet?: boolean;
}

function configFrom(flags: TrainingFlags, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  const file = flags.config ? readConfigFile(flags.config) : {};
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const fs = defined({
    warmupEpochs: flags.warmup,
    interval: flags.interval,
    samples: flags.fisherSamples,
    label: flags.fisherLabel,
    scope: flags.scope,
    placement: flags.placement,
    schedule: flags.schedule,
    annealEpochs: flags.annealEpochs,
    normalize: flags.normalize,
    diversity: flags.diversity,
    smoothing: flags.smoothing,
  });
  return {
    ...file,
    ...defined({
      dataDir: flags.dataDir,
      keep: flags.keep,
      epochs: flags.epochs,
      seed: flags.seed,
      arch: flags.arch,
      batchSize: flags.batchSize,
      lr: flags.lr,
      trainPerTask: flags.trainPerTask,
      trainSize: flags.trainSize,
      testPerTask: flags.testPerTask,
      backend: flags.backend,
      preset: flags.preset,
      weighting: flags.weighting,
    }),
    ...defined(extra),
    fs: { ...(file.fs ?? {}), ...fs },
    mr: { ...(file.mr ?? {}), ...defined({ roamingEpochs: flags.roamingEpochs }) },
    se: { ...(file.se ?? {}), ...defined({ reduction: flags.seReduction }) },
  };
}

function progressFor(config: TrainConfig, quiet?: boolean) {
  const label = `${config.benchmark} ${config.method.toUpperCase()} seed ${config.seed}`;
  const bar = createProgress(label, quiet);
  return {
    bar,
    options: { onProgress: (e: Parameters<typeof bar.update>[0]) => bar.update(e) },
  };
}

function printResults(results: TrainResult[]): void {
  const r0 = results[0];
  process.stdout.write(`\n${r0.benchmark.name} (${r0.benchmark.kind}; ${r0.benchmark.tasks.join(', ')}), engine ${r0.engine.backend}\n\n`);
  process.stdout.write(perTaskTable(results) + '\n');
  const masks = maskTable(results);
  if (masks) process.stdout.write('\nMasks (overlap: shared fraction of a task pair\'s kept parameters; union: extractor used by any task)\n' + masks + '\n');
  const timing = results.map((r) => `${methodLabel(r)} ${r.timings.totalSeconds.toFixed(1)} s (${r.timings.msPerStep.toFixed(1)} ms/step)`).join(', ');
  const peak = Math.max(...results.map((r) => r.memory.peakRssBytes));
  process.stdout.write(`\nTime: ${timing}. Peak memory ${(peak / 2 ** 20).toFixed(0)} MiB.\n`);
}

export function buildProgram(): Command {
  const program = new Command('fsmtl')
    .description('Fisher sparse multi-task learning (Zhang et al., AAAI-24): train, compare, inspect')
    .version(FSMTL_VERSION);

  addTrainingOptions(
    program
      .command('train')
      .description('train one method on one benchmark, print per-task metrics and write a JSON result')
      .addOption(new Option('--benchmark <name>', 'benchmark').choices([...BENCHMARK_NAMES]))
      .addOption(new Option('--method <name>', 'method').choices([...METHOD_NAMES]))
      .option('--out <file>', 'write the JSON result here')
      .option('--save <file>', 'write a checkpoint of the trained model (safetensors) here'),
  ).action(async (flags: TrainingFlags & { benchmark?: TrainConfig['benchmark']; method?: TrainConfig['method']; out?: string; save?: string }) => {
    const input = parseTrainConfig(configFrom(flags, { benchmark: flags.benchmark, method: flags.method }));
    const engine = await initEngine({ backend: input.backend });
    if (!flags.quiet) process.stderr.write(`engine: ${engine.backend}, ${engine.threads} thread(s)\n`);
    let bar: ReturnType<typeof createProgress> | undefined;
    const options: TrainOptions = {
      onProgress: (e) => {
        if (!bar) bar = createProgress(`${input.benchmark} ${input.method.toUpperCase()}`, flags.quiet);
        bar.update(e);
      },
    };
    let result: TrainResult;
    let saved = '';
    if (flags.save) {
      const trained = await runTrainingWithModel(input, options).finally(() => bar?.stop());
      try {
        saved = `Checkpoint (${saveCheckpoint(flags.save, trained).toLocaleString('en-US')} bytes) written to ${flags.save}\n`;
      } finally {
        trained.model.dispose();
      }
      result = trained.result;
    } else {
      result = await runTraining(input, options).finally(() => bar?.stop());
    }
    printResults([result]);
    process.stdout.write(saved);
    if (flags.out) {
      writeFileAtomic(flags.out, JSON.stringify(result, null, 2) + '\n');
      process.stdout.write(`Result written to ${flags.out}\n`);
    }
  });

  addTrainingOptions(
    program
      .command('demo')
      .description('train FS, MTL, STL and RS on real data with identical settings and print a comparison')
      .option('--benchmark <names>', 'comma-separated benchmarks', 'hetero3,multimnist')
      .option('--methods <names>', 'comma-separated methods', 'fs,mtl,stl,rs')
      .option('--seeds <list>', 'comma-separated seeds (mean ± std when several)', '0')
      .option('--out-dir <dir>', 'write one JSON result per run here', 'runs/demo'),
  ).action(async (flags: TrainingFlags & { benchmark: string; methods: string; seeds: string; outDir: string }) => {
    const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    const benchmarks = list(flags.benchmark);
    const known = (names: string[], allowed: readonly string[], what: string) => {
      for (const n of names) if (!allowed.includes(n)) throw new FsmtlError(`unknown ${what} '${n}' (known: ${allowed.join(', ')})`);
    };
    known(benchmarks, BENCHMARK_NAMES, 'benchmark');
    const methods = list(flags.methods);
    known(methods, METHOD_NAMES, 'method');
    const seeds = list(flags.seeds).map((s) => number('--seeds', true)(s));
    for (const b of benchmarks) parseTrainConfig(configFrom(flags, { benchmark: b as TrainConfig['benchmark'] }));
    const engine = await initEngine({ backend: flags.backend });
    if (!flags.quiet) process.stderr.write(`engine: ${engine.backend}, ${engine.threads} thread(s)\n`);
    for (const benchmark of benchmarks) {
      const base = configFrom(flags, { benchmark: benchmark as TrainConfig['benchmark'] });
      const bars: ReturnType<typeof createProgress>[] = [];
      const results = await compareMethods(base, methods as TrainConfig['method'][], seeds, {
        onStart: (config) => {
          bars.forEach((b) => b.stop());
          const p = progressFor(config, flags.quiet);
          bars.push(p.bar);
          return p.options;
        },
      }).finally(() => bars.forEach((b) => b.stop()));
      for (const r of results) {
        writeFileAtomic(`${flags.outDir}/${benchmark}-${r.config.method}-seed${r.config.seed}.json`, JSON.stringify(r, null, 2) + '\n');
      }
      printResults(results.filter((r) => r.config.seed === seeds[0]));
      if (seeds.length > 1) {
        process.stdout.write(`\nAveraged over tasks, mean ± std over seeds ${seeds.join(', ')}:\n`);
        const groups = methods.map((m) => ({ label: m.toUpperCase(), runs: results.filter((r) => r.config.method === m) }));
        process.stdout.write(seedTable(groups) + '\n');
      }
    }
    process.stdout.write(`\nJSON results in ${flags.outDir}/\n`);
  });

  addModelCommands(program);
  addDoctorCommand(program);
  addExperimentCommands(program);

  program
    .command('info')
    .description('show the tensor engine fsmtl uses on this machine')
    .addOption(new Option('--backend <name>', 'tensor engine').choices([...BACKEND_NAMES]))
    .action(async (flags: { backend?: TrainConfig['backend'] }) => {
      const e = await initEngine({ backend: flags.backend });
      process.stdout.write(`fsmtl ${FSMTL_VERSION}\nengine: ${e.backend}\nthreads: ${e.threads}\n`);
      process.stdout.write(`kernels registered by fsmtl: ${e.registeredKernels.length ? e.registeredKernels.join(', ') : 'none'}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    // commander already printed its own message (unknown option, bad choice, --help, --version).
    if (err.code?.startsWith('commander.')) return err.exitCode ?? 1;
    if (err instanceof FsmtlError || err.name === 'FsmtlError') {
      process.stderr.write(`fsmtl: error: ${err.message}\n`);
      return 1;
    }
    if (process.env.FSMTL_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`fsmtl: internal error: ${err.message} (set FSMTL_DEBUG=1 for the stack trace)\n`);
    return 2;
  }
}
