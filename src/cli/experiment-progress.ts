// One progress display for a whole experiment: on a terminal, an overall bar (runs done, ETA) and one
// line per worker with its run's epoch; elsewhere (CI, logs), one plain line per finished or failed run.
import cliProgress from 'cli-progress';
import type { RunnerEvent } from '../experiments/runner.js';
import type { PlannedRun } from '../experiments/spec.js';

export interface ExperimentProgress {
  onEvent(e: RunnerEvent): void;
  stop(): void;
}

/** "hetero3 FS p=0.3 seed 1" */
export function runName(run: PlannedRun): string {
  return `${run.benchmark} ${run.label}${run.keep === null ? '' : ` p=${run.keep}`} seed ${run.seed}`;
}

export function createExperimentProgress(total: number, jobs: number, quiet = false): ExperimentProgress {
  let finished = 0;
  let failed = 0;
  const counter = () => `[${finished + failed}/${total}]`;
  if (quiet) return { onEvent() {}, stop() {} };

  if (!process.stderr.isTTY) {
    return {
      onEvent(e) {
        if (e.type === 'done') {
          finished++;
          process.stderr.write(`${counter()} ${runName(e.run)}: ${e.score} (${e.seconds.toFixed(1)} s)\n`);
        } else if (e.type === 'failed') {
          failed++;
          process.stderr.write(`${counter()} ${runName(e.run)}: FAILED: ${e.error}\n`);
        } else if (e.type === 'retry') {
          process.stderr.write(`${counter()} ${runName(e.run)}: ${e.error}; starting it again (attempt ${e.attempt})\n`);
        }
      },
      stop() {},
    };
  }

  const UNITS = 1000; // per run, so that runs in progress move the overall bar
  const multi = new cliProgress.MultiBar(
    { stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 200, format: '{label} |{bar}| {status}' },
    cliProgress.Presets.shades_classic,
  );
  const overall = multi.create(total * UNITS, 0, { label: 'experiment'.padEnd(34), status: `0/${total} runs` }, { format: '{label} |{bar}| {status} | ETA {eta_formatted}' });
  const slots = Array.from({ length: jobs }, () => multi.create(UNITS, 0, { label: 'idle'.padEnd(34), status: '' }));
  const fraction = new Array<number>(jobs).fill(0);
  const redraw = () => {
    const value = (finished + failed) * UNITS + fraction.reduce((a, b) => a + b, 0) * UNITS;
    overall.update(value, { status: `${finished + failed}/${total} runs${failed ? ` (${failed} failed)` : ''}` });
  };
  return {
    onEvent(e) {
      const bar = slots[e.slot];
      if (e.type === 'start') {
        fraction[e.slot] = 0;
        bar?.update(0, { label: runName(e.run).slice(0, 34).padEnd(34), status: 'starting' });
      } else if (e.type === 'progress') {
        fraction[e.slot] = e.fraction;
        bar?.update(Math.round(e.fraction * UNITS), { status: `epoch ${Math.min(e.epoch + 1, e.epochs)}/${e.epochs} ${e.phase}` });
      } else if (e.type === 'retry') {
        fraction[e.slot] = 0;
        bar?.update(0, { status: 'restarting' });
        multi.log(`${runName(e.run)}: ${e.error}; starting it again (attempt ${e.attempt})\n`);
      } else {
        fraction[e.slot] = 0;
        if (e.type === 'done') finished++;
        else failed++;
        bar?.update(UNITS, { status: e.type === 'done' ? e.score : 'FAILED' });
        if (e.type === 'failed') multi.log(`${runName(e.run)}: FAILED: ${e.error}\n`);
      }
      redraw();
    },
    stop() {
      multi.stop();
    },
  };
}
