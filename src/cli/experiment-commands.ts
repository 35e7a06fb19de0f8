// `fsmtl experiment CONFIG` and `fsmtl report RUNS_DIR`: the paper's protocol (Tables 1–2, Figures 2–4)
// for any set of benchmarks, methods, keep ratios and seeds.
import { Command, InvalidArgumentError, Option } from 'commander';
import { relative } from 'node:path';
import { publishReport, type Published } from '../experiments/publish.js';
import { defaultJobs, planExperiment, runPending } from '../experiments/runner.js';
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
export async function runExperiment(experiment: Experiment, flags: Partial<ExperimentFlags> = {}): Promise<Published | null> {
  const plan = planExperiment(experiment, { retryFailed: flags.retryFailed });
  warnCorrupt(plan.corrupt, true);
  const jobs = Math.max(1, Math.min(flags.jobs ?? experiment.jobs ?? defaultJobs(), plan.pending.length || 1));
  const total = experiment.runs.length;
  if (!flags.quiet) {
    process.stderr.write(
      `experiment ${experiment.name}: ${total} runs (${experiment.benchmarks.length} benchmark(s), ${experiment.rows.length} methods, seeds ${experiment.seeds.join(', ')}) in ${shown(experiment.output)}\n` +
        `  ${plan.stored.length} stored, ${plan.failed.length} failed before${plan.failed.length ? ' (skipped; --retry-failed runs them again)' : ''}, ${plan.pending.length} to run` +
        `${plan.pending.length ? ` with ${jobs} process(es)` : ''}\n`,
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
  let summary;
  try {
    summary = await runPending(experiment, plan.pending, { jobs, threads: flags.threads, signal: controller.signal, onEvent: (e) => progress.onEvent(e) });
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
    .option('--threads <n>', 'wasm threads per run (default: 1 when several runs go at once, else all cores)', positiveInt('--threads'))
    .option('--retry-failed', 'run again the runs recorded as failed')
    .option('--dry-run', 'say what is stored and what would run, and stop')
    .option('--no-report', 'do not write the report and figures at the end')
    .option('--quiet', 'no progress output')
    .action(async (configPath: string, flags: ExperimentFlags) => {
      await runExperiment(loadExperiment(configPath), flags);
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
