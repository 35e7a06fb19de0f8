// Runs an experiment's pending runs in parallel, one child process per job slot. Each child (worker.ts)
// trains one run at a time and stores it atomically itself, so killing everything at any moment loses
// at most the runs in progress. Finished runs are found in the store and skipped the next time.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDataDir } from '../data/sources.js';
import type { ProgressEvent } from '../train/trainer.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainResult } from '../train/trainer.js';
import { createFolder } from '../io/files.js';
import { writeRunEvents } from '../io/tensorboard.js';
import { parseRunLog, type RunLogRecord } from './run-log.js';
import { FsmtlError } from '../util/errors.js';
import type { Experiment, PlannedRun } from './spec.js';
import { readStore, removeStaleTemporaryFiles, runLogFile, writeManifest, writeRunFailure, type CorruptFile, type FailedRun } from './store.js';
import { readFileSync } from 'node:fs';

/** What the runner sends a worker. */
export type ToWorker = { type: 'run'; job: WorkerJob } | { type: 'exit' };
export interface WorkerJob {
  key: string;
  /** The run store the worker writes result, failure and run log into; absent: it sends them back (queue runs). */
  output?: string;
  config: TrainConfig;
  /** Threads for this worker's engine: wasm threads, or the native engine's BLAS and oneDNN threads (undefined: all cores). */
  threads?: number;
  /** The engine the run was planned for (queue runs): the worker refuses the run on any other. */
  engine?: { backend: string; threads: number };
}
/** What a worker sends back. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; key: string; fraction: number; epoch: number; epochs: number; phase: ProgressEvent['phase'] }
  | { type: 'done'; key: string; seconds: number; score: string; result?: TrainResult; log?: RunLogRecord[] }
  | { type: 'failed'; key: string; error: string; log?: RunLogRecord[] }
  | { type: 'refused'; key: string; reason: string };

export type RunnerEvent =
  | { type: 'start'; run: PlannedRun; slot: number; pid?: number }
  | { type: 'progress'; run: PlannedRun; slot: number; fraction: number; epoch: number; epochs: number; phase: ProgressEvent['phase'] }
  | { type: 'done'; run: PlannedRun; slot: number; seconds: number; score: string }
  | { type: 'failed'; run: PlannedRun; slot: number; error: string }
  /** The worker under `run` was killed by a signal (e.g. SIGKILL from the OOM killer); the run goes back in the queue. */
  | { type: 'retry'; run: PlannedRun; slot: number; error: string; attempt: number };

/**
 * How often a run whose worker process was killed by a signal (kill -9, the OOM killer) is started again
 * before it is recorded as failed: such a death says nothing about the run itself (another sweep on the
 * machine may have taken the memory), but a run that kills its worker every time must not loop forever.
 */
export const KILLED_RUN_ATTEMPTS = 3;

/** Where an experiment stands before running: what is stored, what failed before, what is left. */
export interface ExperimentPlan {
  experiment: Experiment;
  /** Runs with a valid stored result: skipped. */
  stored: PlannedRun[];
  /** Runs recorded as failed: skipped unless retried. */
  failed: { run: PlannedRun; failure: FailedRun }[];
  /** Runs to train now. */
  pending: PlannedRun[];
  /** Result files that exist but are damaged; their runs are in `pending`. */
  corrupt: CorruptFile[];
}

export function planExperiment(experiment: Experiment, opts: { retryFailed?: boolean } = {}): ExperimentPlan {
  const store = readStore(experiment.output);
  const plan: ExperimentPlan = { experiment, stored: [], failed: [], pending: [], corrupt: store.corrupt };
  for (const run of experiment.runs) {
    const failure = store.failed.get(run.key);
    if (store.results.has(run.key)) plan.stored.push(run);
    else if (failure && !opts.retryFailed) plan.failed.push({ run, failure });
    else plan.pending.push(run);
  }
  return plan;
}

export interface RunnerOptions {
  /** Runs at once (processes); default: the experiment's `jobs`, else the machine's cores. */
  jobs?: number;
  /** Engine threads per worker (wasm, or native BLAS/oneDNN); default 1 when several jobs run at once (more would oversubscribe the cores), else all cores. */
  threads?: number;
  /** Stops the sweep: workers are killed, stored runs stay. */
  signal?: AbortSignal;
  onEvent?: (e: RunnerEvent) => void;
  /** Also write each finished run's log as TensorBoard events under this folder (one subfolder per run). */
  tensorboard?: string;
}

export interface RunnerSummary {
  done: number;
  failed: number;
  /** True when the signal stopped the sweep before every pending run finished. */
  interrupted: boolean;
}

/** The worker module next to this one: worker.ts under tsx, worker.js in dist/. */
export function workerPath(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./worker${extname(self)}`, import.meta.url));
}

/** Node flags for the workers: the loader flags (e.g. --import tsx), not the test runner's or inspector's. */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !/^--(test|inspect|watch)/.test(a));
}

export function defaultJobs(): number {
  return availableParallelism();
}

/** Trains `pending` (e.g. planExperiment(...).pending) with up to `jobs` worker processes. */
export async function runPending(experiment: Experiment, pending: PlannedRun[], opts: RunnerOptions = {}): Promise<RunnerSummary> {
  const jobs = Math.max(1, Math.min(opts.jobs ?? experiment.jobs ?? defaultJobs(), pending.length || 1));
  const threads = opts.threads ?? (jobs > 1 ? 1 : undefined);
  createFolder(experiment.output);
  writeManifest(experiment.output, experiment);
  removeStaleTemporaryFiles(experiment.output);
  if (opts.tensorboard) createFolder(opts.tensorboard, '--tensorboard');

  // A missing data folder would fail every run the same way, and be recorded as failed: say it once, now.
  for (const dir of new Set(pending.map((r) => r.config.dataDir))) resolveDataDir(dir);

  const queue = [...pending];
  /** Worker deaths by signal, per run key. */
  const kills = new Map<string, number>();
  const summary: RunnerSummary = { done: 0, failed: 0, interrupted: false };
  const emit = (e: RunnerEvent) => opts.onEvent?.(e);
  if (!queue.length) return summary;

  return new Promise<RunnerSummary>((resolvePromise, rejectPromise) => {
    const live = new Set<ChildProcess>();
    let stopping = false;
    let startupError: string | null = null;

    const finishIfIdle = () => {
      if (live.size > 0) return;
      opts.signal?.removeEventListener('abort', stop);
      if (startupError) return rejectPromise(new FsmtlError(startupError));
      summary.interrupted = stopping && summary.done + summary.failed < pending.length;
      resolvePromise(summary);
    };
    const stop = () => {
      stopping = true;
      for (const child of live) child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', stop);

    const startWorker = (slot: number) => {
      const child = fork(workerPath(), [], { execArgv: workerExecArgv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      live.add(child);
      let current: PlannedRun | null = null;
      let ready = false;
      let stderrTail = '';
      child.stderr?.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));

      const next = () => {
        const run = stopping ? undefined : queue.shift();
        if (!run) {
          current = null;
          child.send({ type: 'exit' } satisfies ToWorker);
          return;
        }
        current = run;
        emit({ type: 'start', run, slot, pid: child.pid });
        child.send({ type: 'run', job: { key: run.key, output: experiment.output, config: run.config, threads } } satisfies ToWorker);
      };

      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          return next();
        }
        if (!current || m.key !== current.key) return;
        if (m.type === 'progress') emit({ type: 'progress', run: current, slot, fraction: m.fraction, epoch: m.epoch, epochs: m.epochs, phase: m.phase });
        else if (m.type === 'done') {
          summary.done++;
          if (opts.tensorboard) {
            const file = runLogFile(experiment.output, current.key);
            writeRunEvents(opts.tensorboard, current.key, parseRunLog(readFileSync(file, 'utf8'), file));
          }
          emit({ type: 'done', run: current, slot, seconds: m.seconds, score: m.score });
          next();
        } else if (m.type === 'failed') {
          summary.failed++;
          emit({ type: 'failed', run: current, slot, error: m.error });
          next();
        }
      });

      let exited = false;
      const onExit = (why: string, signal: NodeJS.Signals | null = null) => {
        if (exited) return;
        exited = true;
        live.delete(child);
        const last = stderrTail.trim().split('\n').filter(Boolean).pop();
        if (!ready && !stopping) {
          // A worker that cannot even start would fail every run the same way: stop the sweep.
          startupError ??= `a worker process ${why} before it could train${last ? `: ${last}` : ''}`;
          stop();
        } else if (current && !stopping && (signal === 'SIGINT' || signal === 'SIGTERM')) {
          // Someone stopped the worker itself (Ctrl-C reaches the whole process group): stop the sweep, record nothing.
          stop();
        } else if (current && !stopping) {
          const error = `worker process ${why}${last ? `: ${last}` : ''}`;
          const killed = (kills.get(current.key) ?? 0) + (signal ? 1 : 0);
          kills.set(current.key, killed);
          if (signal && killed < KILLED_RUN_ATTEMPTS) {
            // Killed from outside (the OOM killer, kill -9): not the run's own failure; run it again first.
            emit({ type: 'retry', run: current, slot, error, attempt: killed + 1 });
            queue.unshift(current);
          } else {
            // It died by itself (a crash), or was killed every time: record it, carry on with a new worker.
            const recorded = signal ? `${error} (${killed} times)` : error;
            writeRunFailure(experiment.output, current.key, current.config, recorded);
            summary.failed++;
            emit({ type: 'failed', run: current, slot, error: recorded });
          }
          current = null;
          if (queue.length) startWorker(slot);
        }
        finishIfIdle();
      };
      child.on('exit', (code, signal) => onExit(signal ? `was killed (${signal})` : `exited with code ${code}`, signal));
      child.on('error', (e) => {
        onExit(`could not run (${e.message})`);
        child.kill('SIGKILL');
      });
    };

    for (let slot = 0; slot < jobs; slot++) startWorker(slot);
    if (opts.signal?.aborted) stop();
  });
}
