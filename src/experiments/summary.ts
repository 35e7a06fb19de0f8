// From single runs to report rows: the runs of one (benchmark, method, keep ratio) over seeds become one
// summary with mean ± std of every metric, overall and per task. Pure functions, no I/O.
import { meanStd as sampleMeanStd } from '../metrics/classification.js';
import type { TrainResult } from '../train/trainer.js';
import { pLabel } from './spec.js';

export const METRICS = ['accuracy', 'precision', 'recall', 'f1'] as const;
export type Metric = (typeof METRICS)[number];
export const METRIC_TITLES: Record<Metric, string> = { accuracy: 'Accuracy', precision: 'Precision', recall: 'Recall', f1: 'F1' };

/** One planned run and what became of it: a result, an error, or neither (not run yet). */
export interface RunOutcome {
  benchmark: string;
  label: string;
  /** Report row (method entry) index; rows are shown in this order. */
  row: number;
  method: string;
  weighting: string;
  keep: number | null;
  seed: number;
  result?: TrainResult;
  error?: string;
}

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1), 0 for a single run. */
  std: number;
}

/** The runs of one method at one keep ratio on one benchmark. */
export interface Summary {
  benchmark: string;
  label: string;
  row: number;
  method: string;
  weighting: string;
  keep: number | null;
  /** The p column: keep ratio, "1.0" (dense sharing) or "-" (STL, SE). */
  p: string;
  /** Seeds with a result, ascending; the per-seed arrays follow this order. */
  seeds: number[];
  planned: number;
  failed: number;
  /** Mean ± std over seeds of the task-averaged metrics (NaN when no run finished). */
  metrics: Record<Metric, MeanStd>;
  perSeed: Record<Metric, number[]>;
  tasks: string[];
  /** perTask[t][metric]: mean ± std over seeds of task t's metric. */
  perTask: Record<Metric, MeanStd>[];
  /** Mean over seeds of the final masks' pairwise overlap (null for dense methods). */
  overlap: number[][] | null;
  /** Total training time of the finished runs, in seconds. */
  seconds: number;
}

/** Mean ± sample std; NaN ± NaN for no values (a row whose runs all failed). */
export function meanStd(xs: number[]): MeanStd {
  return xs.length ? sampleMeanStd(xs) : { mean: NaN, std: NaN };
}

const byMetric = <T>(f: (m: Metric) => T) => Object.fromEntries(METRICS.map((m) => [m, f(m)])) as Record<Metric, T>;

/** Element-wise mean of equally shaped matrices. */
function meanMatrix(ms: number[][][]): number[][] {
  return ms[0].map((row, i) => row.map((_, j) => ms.reduce((s, m) => s + m[i][j], 0) / ms.length));
}

/** Groups outcomes by (benchmark, row, keep ratio); summaries come in benchmark, row, keep order. */
export function summarize(outcomes: RunOutcome[]): Summary[] {
  const groups = new Map<string, RunOutcome[]>();
  for (const o of outcomes) {
    const k = JSON.stringify([o.benchmark, o.row, o.keep]);
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const benchmarks = [...new Set(outcomes.map((o) => o.benchmark))];
  const summaries = [...groups.values()].map((runs): Summary => {
    const o = runs[0];
    const done = runs.filter((r) => r.result).sort((a, b) => a.seed - b.seed);
    const results = done.map((r) => r.result!);
    const tasks = results[0]?.perTask.map((t) => t.task) ?? [];
    const overlaps = results.map((r) => r.masks?.overlap).filter((m): m is number[][] => !!m);
    return {
      benchmark: o.benchmark,
      label: o.label,
      row: o.row,
      method: o.method,
      weighting: o.weighting,
      keep: o.keep,
      p: pLabel(o.method, o.keep),
      seeds: done.map((r) => r.seed),
      planned: runs.length,
      failed: runs.filter((r) => r.error !== undefined && !r.result).length,
      metrics: byMetric((m) => meanStd(results.map((r) => r.average[m]))),
      perSeed: byMetric((m) => results.map((r) => r.average[m])),
      tasks,
      perTask: tasks.map((_, t) => byMetric((m) => meanStd(results.map((r) => r.perTask[t][m])))),
      overlap: overlaps.length && overlaps.length === results.length ? meanMatrix(overlaps) : null,
      seconds: results.reduce((s, r) => s + r.timings.totalSeconds, 0),
    };
  });
  return summaries.sort(
    (a, b) => benchmarks.indexOf(a.benchmark) - benchmarks.indexOf(b.benchmark) || a.row - b.row || (a.keep ?? 1) - (b.keep ?? 1),
  );
}
