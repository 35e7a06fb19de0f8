// Progress display: a bar with epoch, loss and ETA on a terminal; one line per epoch otherwise (CI, logs).
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../train/trainer.js';

export interface Progress {
  update(e: ProgressEvent): void;
  stop(): void;
}

export function createProgress(label: string, quiet = false): Progress {
  if (quiet) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let lastEpoch = -1;
    let lastLoss = NaN;
    let lastSteps = 0;
    const flush = () => {
      if (lastEpoch >= 0) process.stderr.write(`${label}: epoch ${lastEpoch + 1} done, loss ${lastLoss.toFixed(4)} (${lastSteps} steps)\n`);
    };
    return {
      update(e) {
        if (e.phase !== 'train') return;
        if (e.epoch !== lastEpoch) flush();
        lastEpoch = e.epoch;
        lastLoss = e.loss;
        lastSteps = e.steps;
        if (e.step === e.steps) {
          flush();
          lastEpoch = -1;
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| epoch {epoch}/{epochs} | {phase} | loss {loss} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(e) {
      if (e.steps === 0 && started) {
        // Fisher or evaluation phase: no steps to count, only the label changes.
        bar.update({ phase: e.phase, epoch: e.epoch + 1, epochs: e.epochs });
        return;
      }
      const total = e.epochs * Math.max(1, e.steps);
      const value = e.epoch * Math.max(1, e.steps) + e.step;
      const payload = { epoch: e.epoch + 1, epochs: e.epochs, phase: e.phase, loss: Number.isNaN(e.loss) ? '-' : e.loss.toFixed(4) };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
