// The coordinator of a sweep on a queue (`fsmtl experiment CONFIG --queue URL`): enqueues every pending
// run as one BullMQ job whose id is its run key (adding it again is a no-op), then polls Redis for the
// state of its jobs, stores each finished result or final failure in the run store and removes the job.
// Everything it needs is in Redis and the store, so it can be stopped and started again at any moment;
// it survives a Redis restart by reconnecting (polls that fail are retried).
import { rmSync, writeFileSync } from 'node:fs';
import { Queue, type Job } from 'bullmq';
import { createFolder } from '../io/files.js';
import { writeRunEvents } from '../io/tensorboard.js';
import { FsmtlError } from '../util/errors.js';
import type { RunnerEvent, RunnerSummary } from './runner.js';
import { queueJob, type QueueJob } from './queue-job.js';
import { redact, type QueueConnection } from './queue-connection.js';
import { parseRunLog, runLogText, type RunLogRecord } from './run-log.js';
import type { Experiment, PlannedRun } from './spec.js';
import { readRunFile, removeStaleTemporaryFiles, runFile, runLogFile, writeManifest, writeRunFailure, writeRunResult } from './store.js';
import { scoreLine, type TrainResult } from '../train/trainer.js';

export interface CoordinatorOptions {
  connection: QueueConnection;
  queueName: string;
  /** Threads of every run (as experimentForQueue hashed them into the keys). */
  threads: number;
  /** Tries of a run that fails by itself (an error, a crashed worker process) before it is recorded as failed. */
  attempts?: number;
  /** First retry delay in ms; it doubles with every retry. */
  backoffMs?: number;
  /** Runs recorded as failed in Redis (not yet collected) are run again instead of recorded. */
  retryFailed?: boolean;
  /** Lines of the progress display: jobs in progress shown at once. */
  slots?: number;
  pollMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: RunnerEvent) => void;
  /** Connection trouble and other notes, one line each (credentials masked). */
  onNote?: (line: string) => void;
  tensorboard?: string;
}

export const DEFAULT_ATTEMPTS = 3;
const REENQUEUE_MS = 15_000;

/** What a worker returns for a finished job. */
export interface JobReturn {
  result: TrainResult;
  log: RunLogRecord[];
}

/** Enqueues `pending` (runs of an experiment planned with experimentForQueue) and waits for all of them. */
export async function runOnQueue(experiment: Experiment, pending: PlannedRun[], opts: CoordinatorOptions): Promise<RunnerSummary> {
  createFolder(experiment.output);
  if (opts.tensorboard) createFolder(opts.tensorboard, '--tensorboard');
  writeManifest(experiment.output, experiment);
  removeStaleTemporaryFiles(experiment.output);

  const summary: RunnerSummary = { done: 0, failed: 0, interrupted: false };
  const emit = (e: RunnerEvent) => opts.onEvent?.(e);
  const secret = opts.connection.options.password;
  const note = (line: string) => opts.onNote?.(redact(line, secret));
  const outstanding = new Map(pending.map((r) => [r.key, r]));
  if (!outstanding.size) return summary;

  const queue = new Queue(opts.queueName, { connection: opts.connection.options });
  let lastError = '';
  queue.on('error', (e) => {
    const m = `redis ${opts.connection.shown}: ${e.message}`;
    if (m !== lastError) note(`${m} (retrying)`);
    lastError = m;
  });

  const slots = new Map<string, number>();
  const nSlots = opts.slots ?? Math.min(outstanding.size, 8);
  const freeSlot = () => {
    const used = new Set(slots.values());
    for (let i = 0; i < nSlots; i++) if (!used.has(i)) return i;
    return -1;
  };
  const release = (key: string) => {
    const slot = slots.get(key) ?? -1;
    slots.delete(key);
    return slot;
  };

  const collect = async (job: Job, state: 'completed' | 'failed'): Promise<void> => {
    const run = outstanding.get(job.id!);
    if (!run) return;
    if (state === 'completed') {
      const error = storeResult(experiment, run, job.returnvalue as JobReturn | undefined, opts.tensorboard);
      if (error) {
        writeRunFailure(experiment.output, run.key, run.config, error);
        summary.failed++;
        emit({ type: 'failed', run, slot: release(run.key), error });
      } else {
        summary.done++;
        const r = readRunFile(runFile(experiment.output, run.key), run.key) as TrainResult;
        emit({ type: 'done', run, slot: release(run.key), seconds: r.timings.totalSeconds, score: scoreLine(r) });
      }
    } else {
      if (opts.retryFailed && !retried.has(run.key)) {
        retried.add(run.key);
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return;
      }
      const error = redact(job.failedReason || 'failed without a message', secret);
      const tries = job.attemptsMade > 1 ? ` (after ${job.attemptsMade} tries)` : '';
      writeRunFailure(experiment.output, run.key, run.config, `${error}${tries}`);
      summary.failed++;
      emit({ type: 'failed', run, slot: release(run.key), error: `${error}${tries}` });
    }
    outstanding.delete(run.key);
    // Stored: the job has done its work. (If we die right here, the run is stored and not enqueued again.)
    await job.remove().catch(() => {});
  };
  const retried = new Set<string>();

  const enqueue = async () => {
    // Jobs already in Redis (an earlier coordinator's) are kept: adding the same id again is a no-op.
    const jobs = [...outstanding.values()].map((run) => ({
      name: run.key,
      data: queueJob(run.key, run.config, opts.threads),
      opts: {
        jobId: run.key,
        attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
        backoff: { type: 'exponential', delay: opts.backoffMs ?? 10_000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    }));
    for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  };

  const poll = async () => {
    for (const job of await queue.getJobs(['completed'], 0, -1)) if (job && outstanding.has(job.id!)) await collect(job, 'completed');
    for (const job of await queue.getJobs(['failed'], 0, -1)) if (job && outstanding.has(job.id!)) await collect(job, 'failed');
    for (const job of await queue.getJobs(['active'], 0, -1)) {
      const run = job && outstanding.get(job.id!);
      if (!run) continue;
      if (!slots.has(run.key)) {
        const slot = freeSlot();
        if (slot < 0) continue;
        slots.set(run.key, slot);
        emit({ type: 'start', run, slot });
      }
      const p = job.progress as { fraction?: number; epoch?: number; epochs?: number; phase?: 'train' | 'fisher' | 'eval' } | number;
      if (typeof p === 'object' && p && typeof p.fraction === 'number') {
        emit({ type: 'progress', run, slot: slots.get(run.key)!, fraction: p.fraction, epoch: p.epoch ?? 0, epochs: p.epochs ?? 1, phase: p.phase ?? 'train' });
      }
    }
  };

  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  try {
    // Enqueued again now and then: a no-op for jobs Redis has, and the lost ones back (a Redis without persistence restarted).
    let lastEnqueue = -Infinity;
    while (outstanding.size && !opts.signal?.aborted) {
      try {
        if (performance.now() - lastEnqueue > REENQUEUE_MS) {
          await enqueue();
          lastEnqueue = performance.now();
        }
        await poll();
        if (lastError) note(`redis ${opts.connection.shown}: connected again`);
        lastError = '';
      } catch (e) {
        if (e instanceof FsmtlError) throw e;
        const m = `redis ${opts.connection.shown}: ${(e as Error).message}`;
        if (m !== lastError) note(`${m} (retrying)`);
        lastError = m;
      }
      if (outstanding.size) await sleep(opts.pollMs ?? 500);
    }
  } finally {
    await queue.close().catch(() => {});
  }
  summary.interrupted = outstanding.size > 0;
  return summary;
}


/**
 * Stores what a worker returned, after checking it: a result for this run's config (its hash must be
 * the key's), with its log. Returns an error message when the return value is not a whole result.
 */
function storeResult(experiment: Experiment, run: PlannedRun, value: JobReturn | undefined, tensorboard?: string): string | null {
  if (!value || typeof value !== 'object' || !value.result) return 'the worker returned no result';
  writeRunResult(experiment.output, run.key, value.result);
  const check = readRunFile(runFile(experiment.output, run.key), run.key);
  if (typeof check === 'string') {
    rmSync(runFile(experiment.output, run.key), { force: true });
    return `the worker returned a result that is not valid for this run (${check})`;
  }
  let log: RunLogRecord[] = [];
  try {
    log = parseRunLog(runLogText(Array.isArray(value.log) ? value.log : []), runLogFile(experiment.output, run.key));
  } catch {
    log = [];
  }
  writeFileSync(runLogFile(experiment.output, run.key), runLogText(log));
  if (tensorboard) writeRunEvents(tensorboard, run.key, log);
  return null;
}

export type { QueueJob };
