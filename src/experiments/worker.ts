// A worker process of `fsmtl experiment` and `fsmtl worker` (forked by runner.ts and queue-worker.ts):
// trains the runs it is sent, one at a time, and reports progress over IPC. With a store folder it
// stores each result atomically itself, and streams the run's log beside it; without one (queue runs)
// it sends result and log back. It exits when told to or when its parent goes away.
import { initEngine } from '../engine/setup.js';
import { benchmarkFor, runTrainingWithModel } from './run.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { taskKind } from '../tasks/registry.js';
import { modelPath } from './prediction-figure.js';
import { scoreLine } from '../train/trainer.js';
import type { FromWorker, ToWorker, WorkerJob } from './runner.js';
import { fileSink, RunLog } from './run-log.js';
import { withDataHash } from './spec.js';
import { runLogFile, writeRunFailure, writeRunResult } from './store.js';

const send = (m: FromWorker) => process.send?.(m);

/** One line: the message of a user-facing FsmtlError, the name and message of anything else. */
const errorMessage = (e: unknown) => (e instanceof Error ? (e.name === 'FsmtlError' ? e.message : `${e.name}: ${e.message}`) : String(e)).split('\n')[0];

/** Progress messages: on every phase or epoch change, else at most every 250 ms. */
function progressSender(key: string) {
  let last = 0;
  let lastPhase = '';
  let lastEpoch = -1;
  return (e: { epoch: number; epochs: number; step: number; steps: number; phase: 'train' | 'fisher' | 'eval' }) => {
    const now = Date.now();
    if (now - last < 250 && e.phase === lastPhase && e.epoch === lastEpoch) return;
    last = now;
    lastPhase = e.phase;
    lastEpoch = e.epoch;
    const within = e.steps > 0 ? e.step / e.steps : e.phase === 'eval' ? 1 : 0;
    send({ type: 'progress', key, fraction: Math.min(1, (e.epoch + within) / e.epochs), epoch: e.epoch, epochs: e.epochs, phase: e.phase });
  };
}

async function run(job: WorkerJob): Promise<void> {
  const t0 = performance.now();
  let log: RunLog | null = null;
  try {
    const info = await initEngine({ backend: job.config.backend, threads: job.threads });
    if (job.engine && (info.backend !== job.engine.backend || info.threads !== job.engine.threads)) {
      // A queue run names its engine in its hash: another engine would store a result it did not plan.
      send({ type: 'refused', key: job.key, reason: `it asks for ${job.engine.backend} with ${job.engine.threads} thread(s); this worker computes on ${info.backend} with ${info.threads}` });
      return;
    }
    const tasks = benchmarkFor(withDataHash(job.config)).tasks.map((t) => t.name);
    log = new RunLog(job.key, job.config.epochs, tasks, job.output !== undefined ? fileSink(runLogFile(job.output, job.key)) : undefined);
    const runLog = log;
    const trained = await runTrainingWithModel(job.config, { onProgress: progressSender(job.key), onEpochEnd: (i) => runLog.epoch(i) });
    const { result } = trained;
    try {
      // Per-pixel runs of a local sweep keep their model, for the report's figure of predicted maps
      // (prediction-figure.ts); queue runs send back their result only.
      if (job.output !== undefined && trained.tasks.some((s) => taskKind(s).pixels)) saveCheckpoint(modelPath(job.output, job.key), trained);
    } finally {
      trained.model.dispose();
    }
    log.result(result);
    const seconds = (performance.now() - t0) / 1000;
    if (job.output !== undefined) {
      writeRunResult(job.output, job.key, result);
      send({ type: 'done', key: job.key, seconds, score: scoreLine(result) });
    } else send({ type: 'done', key: job.key, seconds, score: scoreLine(result), result, log: log.records });
  } catch (e) {
    const error = errorMessage(e);
    try {
      log?.failed(error);
      if (job.output !== undefined) writeRunFailure(job.output, job.key, job.config, error);
    } finally {
      send({ type: 'failed', key: job.key, error, log: log?.records });
    }
  }
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'exit') process.exit(0);
  // Runs are sent one at a time, after the previous one reported back.
  if (m.type === 'run') void run(m.job);
});
// Parent gone (killed, Ctrl-C): stop; a run in progress is lost, stored ones are whole.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
