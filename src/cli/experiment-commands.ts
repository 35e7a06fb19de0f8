// `fsmtl experiment CONFIG` and `fsmtl report RUNS_DIR`: the paper's protocol (Tables 1–2, Figures 2–4)
// for any set of benchmarks, methods, keep ratios and seeds.
import { Command, InvalidArgumentError, Option } from 'commander';
import { relative } from 'node:path';
import { publishReport, type Published } from '../experiments/publish.js';
import { initEngine } from '../engine/setup.js';
import { DEFAULT_ATTEMPTS, runOnQueue } from '../experiments/queue-coordinator.js';
import { parseQueueUrl } from '../experiments/queue-connection.js';
import { DEFAULT_QUEUE_NAME, experimentForQueue } from '../experiments/queue-job.js';
import { DEFAULT_STALLED_MS, runQueueWorker } from '../experiments/queue-worker.js';
import { defaultJobs, planExperiment, runPending, type RunnerSummary } from '../experiments/runner.js';
import { loadExperiment, type Experiment } from '../experiments/spec.js';
import type { CorruptFile } from '../experiments/store.js';
import { FsmtlError } from '../util/errors.js';
import { createExperimentProgress, runName } from './experiment-progress.js';

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

const shown = (p: string) => relative(process.cwd(), p) || '.';

function warnCorrupt(corrupt: CorruptFile[], redo: boolean): void {
  for (const c of corrupt) {
    process.stderr.write(`warning: ${shown(c.file)} is not a whole result (${c.reason})${redo ? '; its run will be done again' : '; left out'}\n`);
  }
}

function printPublished(p: Published, dirs: string[]): void {
  for (const w of p.warnings) process.stderr.write(`warning: ${w}\n`);
  const figures = p.files.filter((f) => f.endsWith('.svg')).length / dirs.length;
  process.stdout.write(`Report: ${dirs.map((d) => shown(`${d}/report.md`)).join(', ')} (with report.csv, per-task.csv${figures ? ` and ${figures} figures in figures/` : ''})\n`);
  if (p.unplanned) process.stdout.write(`${p.unplanned} stored run(s) that the config no longer plans were left out.\n`);
}

interface ExperimentFlags {
  jobs?: number;
  threads?: number;
  retryFailed?: boolean;
  dryRun?: boolean;
  report: boolean;
  quiet?: boolean;
  /** A Redis URL, or true: FSMTL_REDIS_URL. */
  queue?: string | true;
  queueName?: string;
  attempts?: number;
  retryDelay?: number;
  tensorboard?: string;
}

interface WorkerFlags {
  queue?: string | true;
  queueName: string;
  jobs?: number;
  threads?: number;
  dataDir?: string;
  stalledSeconds?: number;
  untilEmpty?: boolean;
}

interface ReportFlags {
  reference?: string;
  out?: string;
  against?: string;
  select?: 'validation' | 'test';
  figures: boolean;
  png: boolean;
  quiet?: boolean;
}

/**
 * Plans an experiment, trains what is not stored yet (parallel worker processes, one progress display),
 * then writes the report; `fsmtl experiment` and `fsmtl demo` both run through here.
 */
export async function runExperiment(planned: Experiment, flags: Partial<ExperimentFlags> = {}): Promise<Published | null> {
  const connection = flags.queue !== undefined ? parseQueueUrl(flags.queue === true ? undefined : flags.queue) : null;
  if (connection && flags.jobs !== undefined) throw new FsmtlError('--jobs has no effect with --queue: each worker\'s own --jobs says how many runs it trains at once');
  if (!connection) {
    const stray = (['queueName', 'attempts', 'retryDelay'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new FsmtlError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --queue`);
  }
  // Queue runs name their engine and threads in their hash: 'auto' is resolved here, on the coordinator.
  const queueThreads = flags.threads ?? 1;
  const experiment = connection
    ? experimentForQueue(planned, { auto: planned.runs.some((r) => r.config.backend === 'auto') ? (await initEngine()).backend : 'wasm', threads: queueThreads })
    : planned;
  const plan = planExperiment(experiment, { retryFailed: flags.retryFailed });
  warnCorrupt(plan.corrupt, true);
  const jobs = connection ? Math.min(8, plan.pending.length || 1) : Math.max(1, Math.min(flags.jobs ?? experiment.jobs ?? defaultJobs(), plan.pending.length || 1));
  const total = experiment.runs.length;
  if (!flags.quiet) {
    process.stderr.write(
      `experiment ${experiment.name}: ${total} runs (${experiment.benchmarks.length} benchmark(s), ${experiment.rows.length} methods, seeds ${experiment.seeds.join(', ')}) in ${shown(experiment.output)}\n` +
        `  ${plan.stored.length} stored, ${plan.failed.length} failed before${plan.failed.length ? ' (skipped; --retry-failed runs them again)' : ''}, ${plan.pending.length} to run` +
        `${plan.pending.length ? (connection ? ` on queue '${flags.queueName ?? DEFAULT_QUEUE_NAME}' at ${connection.shown} (engine ${experiment.runs[0]?.config.backend}, ${queueThreads} thread(s) per run)` : ` with ${jobs} process(es)`) : ''}\n`,
    );
  }
  if (flags.dryRun) {
    for (const run of plan.pending) process.stdout.write(`${runName(run)}  ->  runs/${run.key}.json\n`);
    return null;
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = createExperimentProgress(plan.pending.length, jobs, flags.quiet);
  let summary: RunnerSummary;
  try {
    summary = connection
      ? await runOnQueue(experiment, plan.pending, {
          connection,
          queueName: flags.queueName ?? DEFAULT_QUEUE_NAME,
          threads: queueThreads,
          attempts: flags.attempts,
          backoffMs: flags.retryDelay !== undefined ? flags.retryDelay * 1000 : undefined,
          retryFailed: flags.retryFailed,
          slots: jobs,
          signal: controller.signal,
          onEvent: (e) => progress.onEvent(e),
          onNote: (line) => process.stderr.write(`${line}\n`),
          tensorboard: flags.tensorboard,
        })
      : await runPending(experiment, plan.pending, { jobs, threads: flags.threads, signal: controller.signal, onEvent: (e) => progress.onEvent(e), tensorboard: flags.tensorboard });
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const stored = plan.stored.length + summary.done;
  if (summary.interrupted) {
    throw new FsmtlError(`interrupted: ${stored} of ${total} runs are stored in ${shown(experiment.output)}; run the same command again to continue`);
  }
  if (!flags.quiet) process.stderr.write(`${summary.done} run(s) finished, ${summary.failed} failed; ${stored} of ${total} stored\n`);
  const dirs = flags.report === false ? [] : [experiment.output, ...(experiment.reportDir ? [experiment.reportDir] : [])];
  const published = await publishReport(experiment.output, { outDirs: dirs, figures: dirs.length > 0 });
  if (dirs.length) printPublished(published, dirs);
  return published;
}

export function addExperimentCommands(program: Command): void {
  program
    .command('experiment')
    .description(
      'run an experiment config (benchmarks × methods × keep ratios × seeds) in parallel processes, then write the report and figures; finished runs are stored and skipped when run again',
    )
    .argument('<config>', 'experiment config, JSON (see docs/experiments.md)')
    .option('--jobs <n>', 'runs at once, one process each (default: the config\'s "jobs", else the number of cores)', positiveInt('--jobs'))
    .option('--threads <n>', 'threads per run: wasm threads, or OpenBLAS and oneDNN threads on the native engine (default: 1 when several runs go at once, else all cores)', positiveInt('--threads'))
    .option('--retry-failed', 'run again the runs recorded as failed')
    .option('--dry-run', 'say what is stored and what would run, and stop')
    .option('--no-report', 'do not write the report and figures at the end')
    .option('--quiet', 'no progress output')
    .option('--tensorboard <dir>', 'also write each run\'s log as TensorBoard event files under this folder (one subfolder per run)')
    .option('--queue [url]', 'run on workers anywhere through Redis (BullMQ): redis://[user:password@]host:port[/db] or rediss:// (default: FSMTL_REDIS_URL); see docs/distributed.md')
    .option('--queue-name <name>', `with --queue: the BullMQ queue (default ${DEFAULT_QUEUE_NAME})`)
    .option('--attempts <n>', `with --queue: tries of a run that fails before it is recorded as failed (default ${DEFAULT_ATTEMPTS})`, positiveInt('--attempts'))
    .option('--retry-delay <seconds>', 'with --queue: delay before the first retry of a failed run, doubling after each (default 10)', positiveInt('--retry-delay'))
    .action(async (configPath: string, flags: ExperimentFlags) => {
      await runExperiment(loadExperiment(configPath), flags);
    });

  program
    .command('worker')
    .description('train runs that `fsmtl experiment --queue` put on a Redis queue, until stopped (Ctrl-C); see docs/distributed.md')
    .option('--queue [url]', 'redis://[user:password@]host:port[/db] or rediss:// (default: FSMTL_REDIS_URL; password also from FSMTL_REDIS_PASSWORD)')
    .option('--queue-name <name>', 'the BullMQ queue', DEFAULT_QUEUE_NAME)
    .option('--jobs <n>', 'runs at once, one process each (default: the number of cores)', positiveInt('--jobs'))
    .option('--threads <n>', 'the most threads a run may ask for here; runs planned with more are left to other workers (default: the number of cores)', positiveInt('--threads'))
    .option('--data-dir <dir>', 'the data folder on this machine (default: FSMTL_DATA, else ../shared/data)')
    .option('--stalled-seconds <s>', `a job whose worker died is taken again after about this long (default ${DEFAULT_STALLED_MS / 1000})`, positiveInt('--stalled-seconds'))
    .option('--until-empty', 'exit once the queue has nothing left to run (e.g. as a Kubernetes Job)')
    .action(async (flags: WorkerFlags) => {
      const connection = parseQueueUrl(flags.queue === true || flags.queue === undefined ? undefined : flags.queue);
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const counts = await runQueueWorker({
        connection,
        queueName: flags.queueName,
        jobs: flags.jobs,
        maxThreads: flags.threads,
        dataDir: flags.dataDir,
        stalledMs: flags.stalledSeconds !== undefined ? flags.stalledSeconds * 1000 : undefined,
        untilEmpty: flags.untilEmpty,
        signal: controller.signal,
        onLine: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
      });
      process.stdout.write(`${new Date().toISOString()} worker stopped: ${counts.done} run(s) done, ${counts.failed} failed, ${counts.refused} refusal(s)\n`);
    });

  program
    .command('report')
    .description("write the paper-layout report (Markdown, CSV) and figures (SVG, PNG) of an experiment's stored runs")
    .argument('<runs-dir>', "an experiment's output folder (the one holding runs/)")
    .option('--reference <file>', "published results shaped like the paper's tables.json, shown beside ours (default: the experiment's \"reference\")")
    .option('--out <dir>', 'write the report here (default: the runs folder)')
    .option('--against <label>', 'method the significance test compares each other method with (default: the experiment\'s "against", else FS)')
    .addOption(new Option('--select <split>', 'where each method\'s keep ratio is chosen: validation, or test (the paper\'s protocol); default: the experiment\'s "select"').choices(['validation', 'test']))
    .option('--no-figures', 'no figures')
    .option('--no-png', 'SVG figures only')
    .option('--quiet', 'do not print the report')
    .action(async (dir: string, flags: ReportFlags) => {
      const dirs = [flags.out ?? dir];
      const published = await publishReport(dir, { outDirs: dirs, reference: flags.reference, against: flags.against, select: flags.select, figures: flags.figures, png: flags.png });
      warnCorrupt(published.corrupt, false);
      if (published.report.runs === 0) process.stderr.write(`warning: no finished runs in ${shown(dir)}\n`);
      if (!flags.quiet) process.stdout.write(`${published.markdown}\n`);
      printPublished(published, dirs);
    });
}
