// A worker process of `fsmtl experiment` (forked by runner.ts): trains the runs it is sent, one at a
// time, stores each result atomically itself and reports progress over IPC. It exits when told to or
// when its parent goes away.
import { initEngine } from '../engine/setup.js';
import { runTrainingWithModel } from './run.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { taskKind } from '../tasks/registry.js';
import { modelPath } from './prediction-figure.js';
import { scoreLine } from '../train/trainer.js';
import type { FromWorker, ToWorker, WorkerJob } from './runner.js';
import { writeRunFailure, writeRunResult } from './store.js';

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
  try {
    await initEngine({ backend: job.config.backend, threads: job.threads });
    const trained = await runTrainingWithModel(job.config, { onProgress: progressSender(job.key) });
    const { result } = trained;
    try {
      // Per-pixel runs keep their model, for the report's figure of predicted maps (prediction-figure.ts).
      if (trained.tasks.some((s) => taskKind(s).pixels)) saveCheckpoint(modelPath(job.output, job.key), trained);
    } finally {
      trained.model.dispose();
    }
    writeRunResult(job.output, job.key, result);
    send({ type: 'done', key: job.key, seconds: (performance.now() - t0) / 1000, score: scoreLine(result) });
  } catch (e) {
    const error = errorMessage(e);
    try {
      writeRunFailure(job.output, job.key, job.config, error);
    } finally {
      send({ type: 'failed', key: job.key, error });
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
