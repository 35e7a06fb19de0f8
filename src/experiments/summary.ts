// Groups run outcomes by benchmark, method entry and keep ratio, and reduces each group to mean ± std
// over seeds of every table column, overall and per task. Pure functions, no I/O.
//
// A table's columns come from the benchmark's tasks: when every task reports the same metrics (all
// classifiers, as in the paper's Tables 1–2) a column is one metric averaged over the tasks; otherwise
// (a class, a number and a yes/no, say) each task's main metrics are columns of their own. Each column
// carries its metric's direction, which ranks, bold and Δm respect.
import { meanStd as sampleMeanStd } from '../metrics/classification.js';
import { metricDef, taskKind } from '../tasks/registry.js';
import type { TrainResult } from '../train/trainer.js';
import { pLabel } from './spec.js';

/** The paper's four metrics (what its reference tables hold). */
export const METRICS = ['accuracy', 'precision', 'recall', 'f1'] as const;
export type Metric = (typeof METRICS)[number];

export interface Column {
  /** The metric's name ("f1"), or "<task>/<metric>" for a per-task column. */
  key: string;
  title: string;
  metric: string;
  /** null: averaged over every task. */
  task: string | null;
  higherIsBetter: boolean;
}

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
  /** The run's key in the store, when a manifest plans it (its files are named after it). */
  key?: string;
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
  /** The benchmark's table columns (the same for every summary of a benchmark). */
  columns: Column[];
  /** Mean ± std over seeds of each column on the test split (NaN when no run finished). */
  metrics: Record<string, MeanStd>;
  perSeed: Record<string, number[]>;
  /** The same on the validation split (NaN where the runs had none). */
  validation: Record<string, MeanStd>;
  tasks: string[];
  /** perTask[t][metric]: mean ± std over seeds of task t's metric (test). */
  perTask: Record<string, MeanStd>[];
  /** perTaskSeeds[t][metric]: task t's metric per seed (test), in `seeds` order. */
  perTaskSeeds: Record<string, number[]>[];
  /** perTaskValidation[t][metric]: mean over seeds of task t's validation metric. */
  perTaskValidation: Record<string, number>[];
  /** Mean over seeds of the final masks' pairwise overlap (null for dense methods). */
  overlap: number[][] | null;
  /** Mean over seeds of each task's final mask density per layer, with the layers' names (null for dense methods). */
  layerDensity: { layers: string[]; density: number[][] } | null;
  /** Total training time of the finished runs, in seconds. */
  seconds: number;
}

/** Mean ± sample std; NaN ± NaN for no values (a row whose runs all failed). */
export function meanStd(xs: number[]): MeanStd {
  return xs.length ? sampleMeanStd(xs) : { mean: NaN, std: NaN };
}

const directionOf = (metric: string) => metricDef(metric)?.higherIsBetter ?? true;
const titleOf = (metric: string) => metricDef(metric)?.title ?? metric;

/** The table columns of a benchmark, from one of its results (see the file comment). */
export function columnsOf(r: TrainResult): Column[] {
  const names = r.perTask.map((t) => Object.keys(t.metrics));
  const same = names.every((n) => n.join() === names[0].join());
  if (same) return names[0].map((metric) => ({ key: metric, title: titleOf(metric), metric, task: null, higherIsBetter: directionOf(metric) }));
  // Tasks of several kinds: each task's few table metrics (accuracy and F1; MAE and R²), to keep the table readable.
  return r.perTask.flatMap((t) =>
    taskKind(t.spec).tableMetrics.filter((m) => m in t.metrics).map((metric) => ({ key: `${t.task}/${metric}`, title: `${t.task} ${titleOf(metric)}`, metric, task: t.task, higherIsBetter: directionOf(metric) })),
  );
}

/** A column's value in one run, on the test or the validation split (NaN when the run has no validation). */
export function columnValue(r: TrainResult, c: Column, split: 'test' | 'validation'): number {
  const of = (t: TrainResult['perTask'][number]) => (split === 'test' ? t.metrics[c.metric] : (t.validation?.[c.metric] ?? NaN));
  if (c.task !== null) {
    const t = r.perTask.find((x) => x.task === c.task);
    return t ? of(t) : NaN;
  }
  return r.perTask.reduce((a, t) => a + of(t), 0) / r.perTask.length;
}

const byKey = <T>(keys: string[], f: (k: string) => T) => Object.fromEntries(keys.map((k) => [k, f(k)])) as Record<string, T>;

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
  const columns = new Map(benchmarks.map((b) => [b, (() => {
    const r = outcomes.find((o) => o.benchmark === b && o.result)?.result;
    return r ? columnsOf(r) : [];
  })()]));
  const summaries = [...groups.values()].map((runs): Summary => {
    const o = runs[0];
    const done = runs.filter((r) => r.result).sort((a, b) => a.seed - b.seed);
    const results = done.map((r) => r.result!);
    const cols = columns.get(o.benchmark)!;
    const keys = cols.map((c) => c.key);
    const tasks = results[0]?.perTask.map((t) => t.task) ?? [];
    const overlaps = results.map((r) => r.masks?.overlap).filter((m): m is number[][] => !!m);
    const layerDensities = results.map((r) => r.masks?.layerDensity).filter((m): m is number[][] => !!m && m.length === tasks.length && m.every((d) => d.length === m[0].length));
    const layerNames = distinctNames(results[0]?.masks?.layerNames ?? layerDensities[0]?.[0]?.map((_, l) => `layer ${l + 1}`) ?? []);
    const taskMetric = (t: number, m: string, split: 'test' | 'validation') =>
      results.map((r) => (split === 'test' ? r.perTask[t].metrics[m] : (r.perTask[t].validation?.[m] ?? NaN)));
    const metricsOfTask = (t: number) => Object.keys(results[0].perTask[t].metrics);
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
      columns: cols,
      metrics: byKey(keys, (k) => meanStd(results.map((r) => columnValue(r, cols.find((c) => c.key === k)!, 'test')))),
      perSeed: byKey(keys, (k) => results.map((r) => columnValue(r, cols.find((c) => c.key === k)!, 'test'))),
      validation: byKey(keys, (k) => meanStd(results.map((r) => columnValue(r, cols.find((c) => c.key === k)!, 'validation')))),
      tasks,
      perTask: tasks.map((_, t) => byKey(metricsOfTask(t), (m) => meanStd(taskMetric(t, m, 'test')))),
      perTaskSeeds: tasks.map((_, t) => byKey(metricsOfTask(t), (m) => taskMetric(t, m, 'test'))),
      perTaskValidation: tasks.map((_, t) => byKey(metricsOfTask(t), (m) => meanStd(taskMetric(t, m, 'validation')).mean)),
      overlap: overlaps.length && overlaps.length === results.length ? meanMatrix(overlaps) : null,
      layerDensity: layerDensities.length && layerDensities.length === results.length ? { layers: layerNames, density: meanMatrix(layerDensities) } : null,
      seconds: results.reduce((s, r) => s + r.timings.totalSeconds, 0),
    };
  });
  return summaries.sort(
    (a, b) => benchmarks.indexOf(a.benchmark) - benchmarks.indexOf(b.benchmark) || a.row - b.row || (a.keep ?? 1) - (b.keep ?? 1),
  );
}

/**
 * Δm (MTAN's and LibMTL's "multi-task performance"): the mean over every task and metric of the
 * relative difference to the single-task reference, in %, signed so that better is positive:
 *   Δm = 100 / K · Σ_(t,m) s_m · (M_t,m − R_t,m) / |R_t,m|,  s_m = +1 if higher is better, else −1.
 * `values(t, m)` gives the row's value; `reference(t, m)` STL's. NaN when a term is undefined.
 */
export function deltaM(tasks: Record<string, number>[], reference: Record<string, number>[]): number {
  let sum = 0;
  let k = 0;
  tasks.forEach((metrics, t) => {
    for (const [m, v] of Object.entries(metrics)) {
      const r = reference[t]?.[m];
      if (r === undefined) return;
      sum += ((directionOf(m) ? 1 : -1) * (v - r)) / Math.abs(r);
      k++;
    }
  });
  return k ? (100 * sum) / k : NaN;
}

/** Mean values per task and metric of a summary (test or validation), for deltaM. */
export function taskMeans(s: Summary, split: 'test' | 'validation'): Record<string, number>[] {
  return split === 'test' ? s.perTask.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.mean]))) : s.perTaskValidation;
}

/** A summary's per-seed task metrics, as deltaM takes them. */
export function seedTaskValues(s: Summary, seedIndex: number): Record<string, number>[] {
  return s.perTaskSeeds.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v[seedIndex]])));
}

/**
 * Layer names made distinct: results stored before 2026-12 named an architecture's layers by their first path
 * part only ('expert0' for both of expert 0's layers); those become 'expert0 #1', 'expert0 #2'.
 */
function distinctNames(names: string[]): string[] {
  const count = new Map<string, number>();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  const seen = new Map<string, number>();
  return names.map((n) => {
    if (count.get(n)! === 1) return n;
    seen.set(n, (seen.get(n) ?? 0) + 1);
    return `${n} #${seen.get(n)}`;
  });
}
