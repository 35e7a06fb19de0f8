// The `fsmtl` command line.
import { Command, Option } from 'commander';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { BACKEND_NAMES, initEngine } from '../engine/setup.js';
import { benchmarkFor, runTraining, runTrainingWithModel } from '../experiments/run.js';
import { fileSink, RunLog } from '../experiments/run-log.js';
import { parseExperiment, runKey } from '../experiments/spec.js';
import { writeRunEvents } from '../io/tensorboard.js';
import { benchmarkTable, verdict } from '../experiments/report.js';
import { dirname, join, relative, resolve } from 'node:path';
import { saveCheckpoint } from '../io/checkpoint.js';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../train/config.js';
import { FSMTL_VERSION, type TrainOptions, type TrainResult } from '../train/trainer.js';
import { createFolder, writeBytesAtomic } from '../io/files.js';
import { FsmtlError, oneLine } from '../util/errors.js';
import { addExperimentCommands, runExperiment } from './experiment-commands.js';
import { addDoctorCommand } from './doctor.js';
import { addModelCommands } from './model-commands.js';
import { addConfigFlags, configFromFlags, configSource, parseNumber } from './config-flags.js';
import { createProgress } from './progress.js';
import { maskTable, methodLabel, perTaskTable } from './table.js';

function readConfigFile(path: string): TrainConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FsmtlError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FsmtlError(`config ${path} is not valid JSON: ${oneLine((e as Error).message)}`);
  }
  // [], true or null would otherwise train with the defaults (or fail deep inside).
  if (!isObject(json)) throw new FsmtlError(`config ${path} must hold a JSON object of settings, not ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  return json as TrainConfigInput;
}

/** Errors unless a file can be created at `path` (its folder made if needed), without leaving anything behind. */
function checkWritable(path: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    accessSync(dirname(resolve(path)), fsConstants.W_OK);
    if (existsSync(path) && statSync(path).isDirectory()) throw new Error('it is a folder');
  } catch (e) {
    throw new FsmtlError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Options shared by `train` and `demo`: a config file, every config field as a flag (src/cli/config-flags.ts), and --quiet. */
function addTrainingOptions(cmd: Command, except: string[] = []): Command {
  cmd.option('--config <file>', 'JSON config file (same fields as the flags; flags win)');
  return addConfigFlags(cmd, except).option('--quiet', 'no progress output');
}

export interface TrainingFlags extends Record<string, unknown> {
  config?: string;
  quiet?: boolean;
}

/** The config input from a command's flags over its config file. */
export function configFrom(flags: TrainingFlags, except: string[] = []): TrainConfigInput {
  const file = flags.config ? readConfigFile(flags.config) : {};
  return configFromFlags(flags, file as Record<string, unknown>, except) as TrainConfigInput;
}

/** A run log for `train`: its records kept for TensorBoard, and appended to `file` as they come when given. */
function startRunLog(key: string, config: TrainConfig, file?: string): RunLog {
  const tasks = benchmarkFor(config).tasks.map((t) => t.name);
  return new RunLog(key, config.epochs, tasks, file ? fileSink(file) : undefined);
}

/** The validated config from a command's flags over its config file; an error names the flag or file field at fault. */
function trainConfigFrom(flags: TrainingFlags): TrainConfig {
  return parseTrainConfig(configFrom(flags), configSource(flags, flags.config));
}

/**
 * The demo's story in about two minutes on two cores without the native engine: every method on a
 * heterogeneous benchmark (three datasets) and a homogeneous one (one image set, tasks of three
 * kinds), at a reduced size; `npm run fsmtl -- experiment experiments/paper-table1.json` is the full one.
 */
const DEMO = {
  benchmarks: ['hetero3', 'morpho'],
  methods: ['stl', 'mtl', 'rs', 'fs'],
  keep: 0.3,
  train: { trainPerTask: 3000, trainSize: 3000, testPerTask: 1000, epochs: 6, hidden: [256, 256] },
  next: [
    'Next:',
    '  npm run fsmtl -- demo --seeds 0,1,2                               # the same with mean ± std over seeds',
    '  npm run fsmtl -- train --method fs --preset recommended --save fs.safetensors   # the best FS variant measured, saved',
    '  npm run fsmtl -- export fs.safetensors --task digits --out digits.safetensors   # one task\'s small sparse model',
    '  npm run fsmtl -- train --data examples/tabular/tasks.json --method fs          # your own tasks (docs/data-manifest.md)',
    '  npm run fsmtl -- experiment experiments/paper-table1.json          # the paper\'s Table 1 protocol at full size',
  ].join('\n'),
};

/** Config fields the demo takes its own way (lists: --benchmark a,b and --methods). */
const DEMO_OWN_FLAGS = ['benchmark', 'method'];

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
      .option('--out <file>', 'write the JSON result here')
      .option('--save <file>', 'write a checkpoint of the trained model (safetensors) here')
      .option('--log <file>', 'write the run log here as it trains: one JSON line per epoch, then the result (docs/experiments.md)')
      .option('--tensorboard <dir>', 'also write the run log as TensorBoard event files, in a subfolder of this folder named by the run'),
  ).action(async (flags: TrainingFlags & { out?: string; save?: string; log?: string; tensorboard?: string }) => {
    const input = trainConfigFrom(flags);
    // Found now, not after the training: a folder that cannot be written to.
    for (const path of [flags.out, flags.save, flags.log]) if (path) checkWritable(path);
    if (flags.tensorboard) createFolder(flags.tensorboard, '--tensorboard');
    const engine = await initEngine({ backend: input.backend });
    if (!flags.quiet) process.stderr.write(`engine: ${engine.backend}, ${engine.threads} thread(s)\n`);
    let bar: ReturnType<typeof createProgress> | undefined;
    const key = runKey(input);
    const log = flags.log || flags.tensorboard ? startRunLog(key, input, flags.log) : null;
    const options: TrainOptions = {
      onProgress: (e) => {
        if (!bar) bar = createProgress(`${input.benchmark} ${input.method.toUpperCase()}`, flags.quiet);
        bar.update(e);
      },
      ...(log ? { onEpochEnd: (i) => log.epoch(i) } : {}),
    };
    // The log keeps what was done when a run fails too (a failure record, and the events so far).
    const finishLog = (end: () => void) => {
      if (!log) return;
      end();
      if (flags.tensorboard) process.stdout.write(`TensorBoard events written to ${writeRunEvents(flags.tensorboard, key, log.records)}\n`);
      if (flags.log) process.stdout.write(`Run log written to ${flags.log}\n`);
    };
    let result: TrainResult;
    let saved = '';
    try {
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
    } catch (e) {
      finishLog(() => log!.failed(oneLine((e as Error).message)));
      throw e;
    }
    printResults([result]);
    process.stdout.write(saved);
    finishLog(() => log!.result(result));
    if (flags.out) {
      writeBytesAtomic(flags.out, JSON.stringify(result, null, 2) + '\n');
      process.stdout.write(`Result written to ${flags.out}\n`);
    }
  });

  addTrainingOptions(
    program
      .command('demo')
      .description(
        'a short experiment: FS against its baselines on a heterogeneous and a homogeneous benchmark, with the same data and budget, then the report and what to run next',
      )
      .option('--benchmark <names>', 'comma-separated benchmarks', DEMO.benchmarks.join(','))
      .option('--methods <names>', 'comma-separated methods', DEMO.methods.join(','))
      .option('--seeds <list>', 'comma-separated seeds (mean ± std when several)', '0')
      .option('--jobs <n>', 'runs at once, one process each (default: the number of cores)', parseNumber('--jobs', true))
      .option('--out-dir <dir>', 'where the runs and the report go (finished runs are reused when run again)', 'runs/demo'),
    DEMO_OWN_FLAGS,
  ).action(async (flags: TrainingFlags & { benchmark: string; methods: string; seeds: string; jobs?: number; outDir: string }) => {
    const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    // Parsed here, after commander: its InvalidArgumentError would end the command without a message.
    const seeds = list(flags.seeds).map((s) => {
      if (!/^\d+$/.test(s)) throw new FsmtlError(`--seeds must be a comma-separated list of non-negative integers, got '${s}'`);
      return Number(s);
    });
    if (!seeds.length) throw new FsmtlError('--seeds: give at least one seed, e.g. --seeds 0,1,2');
    // Flags win over the demo's short settings; keep, seed, weighting and architecture are the experiment's own fields.
    const { keep, seed, weighting, architecture, ...train } = { ...DEMO.train, ...configFrom(flags, DEMO_OWN_FLAGS) } as Record<string, unknown>;
    if (seed !== undefined) throw new FsmtlError('demo takes --seeds (a list), not --seed');
    const experiment = parseExperiment(
      {
        name: 'demo',
        description: `fsmtl demo: ${list(flags.methods).join(', ')} with the same data and budget on ${list(flags.benchmark).join(' and ')}.`,
        benchmarks: list(flags.benchmark),
        methods: list(flags.methods).map((method) => ({
          method,
          ...(weighting !== undefined && method !== 'stl' ? { weighting } : {}),
          ...(architecture !== undefined && method !== 'stl' && method !== 'se' ? { architecture } : {}),
        })),
        seeds,
        keep: [keep ?? DEMO.keep],
        train,
        output: resolve(flags.outDir),
        jobs: flags.jobs,
      },
      '<inline>',
    );
    const published = (await runExperiment(experiment, { quiet: flags.quiet }))!;
    for (const b of published.report.benchmarks) {
      process.stdout.write(`\n## ${b.benchmark} (${b.tasks.join(', ')})\n\n${benchmarkTable(b, published.report)}\n\n${verdict(b, published.report)}\n`);
    }
    process.stdout.write(`\nReport with figures: ${relative(process.cwd(), join(experiment.output, 'report.md'))}\n\n${DEMO.next}\n`);
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
