// Fake run results for report and store tests (no training): chosen metrics, the real config shape.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig, type TrainConfigInput } from '../../src/train/config.js';
import type { TrainResult } from '../../src/train/trainer.js';
import type { RunOutcome } from '../../src/experiments/summary.js';
import { KEEP_METHODS, defaultLabel } from '../../src/experiments/spec.js';

export const tempDir = (prefix = 'fsmtl-exp-') => mkdtempSync(join(tmpdir(), prefix));

/** A result whose four averaged metrics are all `score`, task t scoring score + perTaskShift[t]. */
export function fakeResult(input: TrainConfigInput, score: number, perTaskShift = [0.01, -0.01], overlap?: number): TrainResult {
  const config = parseTrainConfig(input);
  const tasks = perTaskShift.map((_, i) => `task${i}`);
  const m = (x: number) => ({ accuracy: x, precision: x, recall: x, f1: x });
  const sparse = KEEP_METHODS.includes(config.method);
  return {
    fsmtlVersion: '0.1.0',
    config,
    engine: { backend: 'cpu', threads: 1, registeredKernels: [] },
    benchmark: { name: config.benchmark, kind: 'test', tasks, trainSizes: [], valSizes: [], testSizes: [], provenance: [] },
    perTask: tasks.map((task, i) => ({ task, kind: 'multiclass', spec: { kind: 'multiclass', classes: 10 }, metrics: m(score + perTaskShift[i]), validation: m(score + perTaskShift[i]) })),
    average: m(score),
    weighting: { name: config.weighting, meanWeights: null, solverFailures: 0 },
    masks:
      sparse || overlap !== undefined
        ? ({
            density: tasks.map(() => config.keep),
            layerDensity: [],
            overlap: tasks.map((_, a) => tasks.map((_, b) => (a === b ? 1 : (overlap ?? config.keep)))),
            jaccard: [],
            union: 1,
            meanOverlap: overlap ?? config.keep,
          } as never)
        : null,
    history: [],
    timings: { totalSeconds: 10, trainSeconds: 9, fisherSeconds: 0, evalSeconds: 1, steps: 1, msPerStep: 1, fisherEstimates: 0, msPerFisher: 0 },
    memory: { tensorsAfterFirstEpoch: 0, tensorsAfterLastEpoch: 0, peakRssBytes: 0, peakTensorBytes: 0 },
  };
}

/** An outcome for the report model: method, keep ratio, seed and the score its result has. */
export function outcome(
  row: number,
  method: string,
  seed: number,
  score: number | null,
  opts: { weighting?: string; keep?: number; label?: string; benchmark?: 'hetero3' | 'multimnist'; error?: string } = {},
): RunOutcome {
  const keep = KEEP_METHODS.includes(method) ? (opts.keep ?? 0.3) : null;
  const weighting = opts.weighting ?? 'ew';
  const input = { benchmark: opts.benchmark ?? 'hetero3', method, weighting, seed, ...(keep !== null ? { keep } : {}) } as TrainConfigInput;
  return {
    benchmark: opts.benchmark ?? 'hetero3',
    label: opts.label ?? defaultLabel(method, weighting),
    row,
    method,
    weighting,
    keep,
    seed,
    result: score === null ? undefined : fakeResult(input, score),
    error: opts.error,
  };
}
