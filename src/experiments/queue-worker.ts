// `fsmtl worker --queue URL`: takes runs from a BullMQ queue and trains them, each in a child process
// (worker.ts) so that this process stays free to renew its job locks while a run computes. A worker
// that dies (kill -9, the OOM killer) stops renewing them: BullMQ's stalled-job check then hands its
// jobs to another worker. A run this worker cannot reproduce (another fsmtl version, other data,
// another engine) is refused, with a message, and left for another worker.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, hostname } from 'node:os';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { dataManifestHash } from '../data/index.js';
import { resolveDataDir } from '../data/sources.js';
import { FSMTL_VERSION } from '../train/trainer.js';
import type { TrainConfig } from '../train/config.js';
import { FsmtlError } from '../util/errors.js';
import { parseQueueJob, type QueueJob } from './queue-job.js';
import { redact, type QueueConnection } from './queue-connection.js';
import type { JobReturn } from './queue-coordinator.js';
import { workerExecArgv, workerPath, type FromWorker, type ToWorker, type WorkerJob } from './runner.js';

export interface QueueWorkerOptions {
  connection: QueueConnection;
  queueName: string;
  /** Runs at once (child processes); default: the machine's cores. */
  jobs?: number;
  /** The most threads a run may ask for on this machine (runs asking more are refused); default: the cores. */
  maxThreads?: number;
  /** The data folder here (default: FSMTL_DATA, else ../shared/data). */
  dataDir?: string;
  /** A job whose worker stops renewing its lock (it died) is taken again after about this long. */
  stalledMs?: number;
  /** How long a refused job waits before any worker may take it again. */
  refuseDelayMs?: number;
  /** Stop when the queue has nothing left to do (e.g. a Kubernetes Job), instead of waiting for more. */
  untilEmpty?: boolean;
  signal?: AbortSignal;
  /** One line per event: run started, done, failed, refused, connection trouble (credentials masked). */
  onLine?: (line: string) => void;
}

export const DEFAULT_STALLED_MS = 30_000;

/** Why this worker cannot reproduce `job` (it would store a result the sweep did not plan), or null. */
export function refusal(job: QueueJob, maxThreads: number, dataDir?: string): string | null {
  if (job.fsmtlVersion !== FSMTL_VERSION) return `it was planned with fsmtl ${job.fsmtlVersion}; this worker runs fsmtl ${FSMTL_VERSION}`;
  if (job.threads > maxThreads) return `it asks for ${job.threads} threads; this worker allows ${maxThreads} (--threads)`;
  const c = job.config;
  if (c.data !== undefined) {
    let hash: string;
    try {
      hash = dataManifestHash(c.data);
    } catch (e) {
      return `its data manifest is not readable here (${(e as Error).message})`;
    }
    if (c.dataHash !== undefined && hash !== c.dataHash) return `its data differ here (content hash ${hash}, planned ${c.dataHash})`;
  } else {
    try {
      resolveDataDir(dataDir);
    } catch (e) {
      return `no data here: ${(e as Error).message}`;
    }
  }
  return null;
}

/** One child process that trains runs on one engine (backend and threads are fixed once it starts). */
class RunProcess {
  private child: ChildProcess | null = null;
  private engine = '';
  private ready: Promise<void> | null = null;
  private stderrTail = '';
  private onMessage: ((m: FromWorker) => void) | null = null;
  private onDeath: ((why: string) => void) | null = null;

  private start(engine: string): Promise<void> {
    this.stop();
    this.engine = engine;
    const child = fork(workerPath(), [], { execArgv: workerExecArgv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    this.stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)));
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else this.onMessage?.(m);
      });
      child.on('exit', (code, signal) => {
        if (this.child !== child) return;
        this.child = null;
        const last = this.stderrTail.trim().split('\n').filter(Boolean).pop();
        const why = `worker process ${signal ? `was killed (${signal})` : `exited with code ${code}`}${last ? `: ${last}` : ''}`;
        reject(new Error(why));
        this.onDeath?.(why);
      });
    });
    this.ready.catch(() => {});
    return this.ready;
  }

  /** Trains one run; resolves with the worker's last message about it (done, failed or refused). */
  async run(job: WorkerJob, onProgress: (m: Extract<FromWorker, { type: 'progress' }>) => void): Promise<FromWorker> {
    const engine = `${job.engine?.backend}/${job.engine?.threads}`;
    if (!this.child || engine !== this.engine) await this.start(engine);
    else await this.ready;
    return new Promise<FromWorker>((resolve, reject) => {
      this.onMessage = (m) => {
        if (m.type === 'ready' || m.key !== job.key) return;
        if (m.type === 'progress') return onProgress(m);
        this.onMessage = this.onDeath = null;
        resolve(m);
      };
      this.onDeath = (why) => {
        this.onMessage = this.onDeath = null;
        reject(new Error(why));
      };
      this.child!.send({ type: 'run', job } satisfies ToWorker);
    });
  }

  stop(): void {
    const c = this.child;
    this.child = null;
    c?.kill('SIGKILL');
  }
}

/** Runs a queue worker until the signal aborts it (or, with untilEmpty, until the queue is empty). */
export async function runQueueWorker(opts: QueueWorkerOptions): Promise<{ done: number; failed: number; refused: number }> {
  const jobs = opts.jobs ?? availableParallelism();
  const maxThreads = opts.maxThreads ?? availableParallelism();
  const stalledMs = opts.stalledMs ?? DEFAULT_STALLED_MS;
  const secret = opts.connection.options.password;
  const say = (line: string) => opts.onLine?.(redact(line, secret));
  const counts = { done: 0, failed: 0, refused: 0 };
  const pool = Array.from({ length: jobs }, () => new RunProcess());
  const free = [...pool];
  const refusedOnce = new Set<string>();
  const seconds = new Map<string, number>();
  const me = `${hostname()}/${process.pid}`;

  const processor = async (job: Job, token?: string): Promise<JobReturn> => {
    let q: QueueJob;
    try {
      q = parseQueueJob(job.data);
    } catch (e) {
      // Never retried: a payload that is not a valid run stays invalid.
      say(`job ${job.id}: refused for good: ${(e as Error).message}`);
      throw new UnrecoverableError((e as Error).message);
    }
    const refuse = async (reason: string): Promise<never> => {
      counts.refused++;
      const line = `${q.key}: refused: ${reason}`;
      if (!refusedOnce.has(job.id!)) say(line);
      refusedOnce.add(job.id!);
      await job.log(`${me}: ${line}`).catch(() => {});
      await job.moveToDelayed(Date.now() + (opts.refuseDelayMs ?? 10_000), token);
      throw new DelayedError();
    };
    const why = refusal(q, maxThreads, opts.dataDir);
    if (why) return refuse(why);

    const proc = free.pop();
    if (!proc) throw new Error('no free run process (more jobs than --jobs at once)');
    try {
      say(`${q.key}: started (attempt ${job.attemptsMade + 1})`);
      const config: TrainConfig = opts.dataDir !== undefined && q.config.data === undefined ? { ...q.config, dataDir: opts.dataDir } : q.config;
      const m = await proc.run({ key: q.key, config, threads: q.threads, engine: { backend: q.config.backend, threads: q.threads } }, (p) => {
        void job.updateProgress({ fraction: p.fraction, epoch: p.epoch, epochs: p.epochs, phase: p.phase }).catch(() => {});
      });
      if (m.type === 'refused') {
        proc.stop();
        return await refuse(m.reason);
      }
      if (m.type === 'failed') throw new Error(m.error);
      if (m.type !== 'done' || !m.result) throw new Error('the run process answered without a result');
      seconds.set(job.id!, m.seconds);
      return { result: m.result, log: m.log ?? [] };
    } finally {
      free.push(proc);
    }
  };

  const worker = new Worker(opts.queueName, processor, {
    connection: opts.connection.options,
    concurrency: jobs,
    lockDuration: stalledMs,
    stalledInterval: Math.max(1000, Math.round(stalledMs / 2)),
    // A run whose worker is killed again and again (e.g. too big for any machine) ends up recorded as failed.
    maxStalledCount: 3,
    autorun: false,
  });
  // Said once Redis has the outcome: a run whose completion did not reach Redis (e.g. its lock was lost) is not 'done'.
  worker.on('completed', (job) => {
    counts.done++;
    say(`${job.id}: done in ${(seconds.get(job.id!) ?? NaN).toFixed(1)} s`);
    seconds.delete(job.id!);
  });
  worker.on('failed', (job, e) => {
    if (!job || e instanceof DelayedError || e.name === 'DelayedError') return;
    counts.failed++;
    const left = (job.opts.attempts ?? 1) - job.attemptsMade;
    say(`${job.id}: failed: ${e.message}${left > 0 && !(e instanceof UnrecoverableError) ? ` (will be tried again, ${left} attempt(s) left)` : ''}`);
  });
  let lastError = '';
  worker.on('error', (e) => {
    const m = `redis ${opts.connection.shown}: ${e.message}`;
    if (m !== lastError) say(`${m} (reconnecting)`);
    lastError = m;
  });
  worker.on('ready', () => {
    if (lastError) say(`redis ${opts.connection.shown}: connected`);
    lastError = '';
  });

  let stopping = false;
  const stop = async (force: boolean) => {
    if (stopping) return;
    stopping = true;
    if (force) pool.forEach((p) => p.stop());
    await worker.close(force).catch(() => {});
    pool.forEach((p) => p.stop());
  };
  const onAbort = () => void stop(true);
  opts.signal?.addEventListener('abort', onAbort);

  // Until empty: every 2 s, stop once nothing is left for anyone (waiting, delayed, active) and we are idle.
  const watcher = opts.untilEmpty ? new Queue(opts.queueName, { connection: opts.connection.options }) : null;
  watcher?.on('error', () => {});
  const idleCheck = watcher
    ? setInterval(() => {
        if (free.length !== pool.length) return;
        watcher
          .getJobCounts('waiting', 'delayed', 'active', 'prioritized')
          .then((c) => {
            if (Object.values(c).reduce((x, y) => x + y, 0) === 0) void stop(false);
          })
          .catch(() => {});
      }, 2000)
    : null;
  say(`worker ${me}: fsmtl ${FSMTL_VERSION}, ${jobs} run(s) at once, queue '${opts.queueName}' on ${opts.connection.shown}`);
  try {
    await worker.run();
  } catch (e) {
    throw new FsmtlError(redact(`queue worker: ${(e as Error).message}`, secret));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (idleCheck) clearInterval(idleCheck);
    await watcher?.close().catch(() => {});
    pool.forEach((p) => p.stop());
  }
  return counts;
}
