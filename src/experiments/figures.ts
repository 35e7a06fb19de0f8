// The report's figures as Vega-Lite specifications (pure data → spec; render.ts draws them):
//   - per-task accuracy and F1 of every method (the paper's Figures 2–3);
//   - averaged F1 against the keep ratio for FS, EFS and RS (Figure 4), dense MTL and STL as lines;
//   - the overlap of the tasks' final masks, one heatmap per sparse method and keep ratio.
import type { TopLevelSpec } from 'vega-lite';
import type { BenchmarkReport } from './report.js';
import { deltaM, taskMeans, type Summary } from './summary.js';
import { methodTraits } from '../methods/registry.js';

export interface FigureSpec {
  /** File name without extension, e.g. "hetero3-per-task". */
  name: string;
  /** Alt text / caption. */
  title: string;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PER_TASK_METRICS = [
  { name: 'accuracy', title: 'Accuracy' },
  { name: 'f1', title: 'F1 (macro)' },
  { name: 'r2', title: 'R²' },
  { name: 'miou', title: 'mIoU' },
  { name: 'pixacc', title: 'Pixel accuracy' },
];
const has = (s: Summary) => s.seeds.length > 0;
const seedsText = (b: BenchmarkReport) => `${b.seeds.length} seed${b.seeds.length === 1 ? '' : 's'}`;
/** "FS (p=0.3)" for methods with a keep ratio, else the label. */
const withP = (s: Summary) => (s.keep === null ? s.label : `${s.label} (p=${s.p})`);

/** Axis range for bars that would otherwise all look alike from 0: from just below the lowest bar to 1, in steps of 0.05. */
function scoreDomain(values: number[]): [number, number] {
  const lo = Math.max(0, Math.floor((Math.min(...values) - 0.02) / 0.05) * 0.05);
  const hi = Math.min(1, Math.ceil((Math.max(...values) + 0.01) / 0.05) * 0.05);
  return [Number(lo.toFixed(2)), Number(Math.max(hi, lo + 0.05).toFixed(2))];
}

const baseConfig = {
  font: 'DejaVu Sans, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260, titleLimit: 300 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' as const },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** Figures 2–3: grouped bars of each task's accuracy and F1 per method (mean ± std over seeds). */
export function perTaskFigure(b: BenchmarkReport): FigureSpec | null {
  const rows = b.table.map((r) => r.summary).filter(has);
  if (!rows.length) return null;
  // Scores on a 0–1 scale, so that panels share an axis: accuracy and F1 of classifiers, R² of regressions.
  const shown = PER_TASK_METRICS.filter((m) => rows[0].perTask.some((p) => m.name in p));
  const values = rows.flatMap((s) =>
    s.tasks.flatMap((task, t) =>
      shown
        .filter((m) => m.name in s.perTask[t])
        .map((m) => ({
          method: withP(s),
          task,
          metric: m.title,
          mean: s.perTask[t][m.name].mean,
          lo: s.perTask[t][m.name].mean - s.perTask[t][m.name].std,
          hi: s.perTask[t][m.name].mean + s.perTask[t][m.name].std,
        })),
    ),
  );
  // Depth errors have no 0–1 scale to share: a benchmark of such tasks only has no per-task figure.
  if (!values.length) return null;
  const titles = shown.map((m) => m.title).join(', ');
  const domain = scoreDomain(values.flatMap((v) => [v.lo, v.hi]));
  const methods = rows.map(withP);
  const width = Math.max(240, Math.min(720, rows.length * rows[0].tasks.length * 9));
  return {
    name: `${b.benchmark}-per-task`,
    title: `${b.benchmark}: per-task test ${titles} of each method`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: `${b.benchmark}: test ${titles} per task`,
        subtitle: [
          `Bars: mean over ${seedsText(b)}; whiskers: ± 1 standard deviation.`,
          'Each method at the keep ratio p of the report table.',
          `The score axis starts at ${domain[0].toFixed(2)}, not at 0.`,
        ],
      },
      data: { values },
      facet: { column: { field: 'metric', type: 'nominal', title: null, sort: shown.map((m) => m.title) } },
      spec: {
        width,
        height: 300,
        encoding: {
          x: { field: 'task', type: 'nominal', title: 'Task', sort: rows[0].tasks, axis: { labelAngle: 0 } },
          xOffset: { field: 'method', type: 'nominal', sort: methods },
          color: { field: 'method', type: 'nominal', sort: methods, title: 'Method (keep ratio p)', scale: { scheme: rows.length > 10 ? 'tableau20' : 'tableau10' } },
        },
        layer: [
          {
            mark: { type: 'bar', clip: true },
            encoding: {
              y: { field: 'mean', type: 'quantitative', title: 'Score on the test split (0–1)', scale: { domain, zero: false } },
              tooltip: [{ field: 'method' }, { field: 'task' }, { field: 'mean', format: '.3f' }],
            },
          },
          {
            mark: { type: 'rule', clip: true, color: '#333' },
            encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
          },
        ],
      },
      resolve: { scale: { y: 'shared' } },
      config: baseConfig,
    } as TopLevelSpec,
  };
}

/**
 * Figure 4: the headline (F1 averaged over tasks, or Δm against STL where the tasks are not all
 * classifiers) against the keep ratio for FS, EFS and RS, with MTL and STL as dashed lines.
 */
export function keepRatioFigure(b: BenchmarkReport): FigureSpec | null {
  const sparse = b.all.filter((s) => has(s) && methodTraits(s.method).fsOptions && s.keep !== null);
  if (!sparse.length || !b.headline) return null;
  const headline = b.headline;
  const isF1 = headline.key === 'f1';
  const stl = b.all.find((s) => s.method === 'stl' && has(s));
  const value = (s: Summary) => (isF1 ? s.metrics.f1.mean : deltaM(taskMeans(s, 'test'), taskMeans(stl!, 'test')));
  const spread = (s: Summary) => (isF1 ? s.metrics.f1.std : 0);
  const points = sparse.map((s) => ({ method: s.label, keep: s.keep!, f1: value(s), lo: value(s) - spread(s), hi: value(s) + spread(s) }));
  const dense = b.table
    .map((r) => r.summary)
    .filter((s) => has(s) && (s.method === 'stl' || (s.method === 'mtl' && s.weighting === 'ew')))
    .map((s) => ({ method: `${s.label} (dense)`, f1: value(s) }));
  const all = [...points.flatMap((p) => [p.lo, p.hi]), ...dense.map((d) => d.f1)];
  const domain: [number, number] = isF1 ? scoreDomain(all) : [Math.floor(Math.min(...all) - 1), Math.ceil(Math.max(...all) + 1)];
  const axisTitle = isF1 ? 'F1 (macro), averaged over tasks' : 'Δm against STL, % (higher is better)';
  const xDomain: [number, number] = [0, 1];
  return {
    name: `${b.benchmark}-keep-ratio`,
    title: `${b.benchmark}: ${headline.title} against keep ratio for FS, EFS and RS`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: `${b.benchmark}: ${headline.title} against the keep ratio p`,
        subtitle: [
          `Points: mean over ${seedsText(b)}${isF1 ? '; whiskers: ± 1 standard deviation' : ''}.`,
          'Dashed lines: dense baselines, which have no keep ratio.',
          isF1 ? `The F1 axis starts at ${domain[0].toFixed(2)}, not at 0.` : 'Test split; every keep ratio, not only the selected one.',
        ],
      },
      width: 460,
      height: 300,
      layer: [
        {
          data: { values: points },
          mark: { type: 'line', point: { size: 60 } },
          encoding: {
            x: {
              field: 'keep',
              type: 'quantitative',
              title: 'Keep ratio p (fraction of shared parameters each task keeps)',
              scale: { domain: xDomain },
              axis: { format: '.1f', tickCount: 10 },
            },
            y: { field: 'f1', type: 'quantitative', title: axisTitle, scale: { domain, zero: false } },
            color: { field: 'method', type: 'nominal', title: 'Sparse method' },
            tooltip: [{ field: 'method' }, { field: 'keep' }, { field: 'f1', format: '.3f' }],
          },
        },
        {
          data: { values: points },
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'keep', type: 'quantitative' },
            y: { field: 'lo', type: 'quantitative' },
            y2: { field: 'hi' },
            color: { field: 'method', type: 'nominal', title: 'Sparse method' },
          },
        },
        // Dense baselines: a dashed grey line across the plot, named at its left end.
        {
          data: { values: dense },
          mark: { type: 'rule', strokeDash: [6, 4], color: '#666', clip: true },
          encoding: { y: { field: 'f1', type: 'quantitative' } },
        },
        {
          data: { values: dense },
          mark: { type: 'text', align: 'left', dx: 4, dy: -7, color: '#444', fontSize: 11 },
          encoding: { x: { datum: 0, type: 'quantitative' }, y: { field: 'f1', type: 'quantitative' }, text: { field: 'method' } },
        },
      ],
      config: baseConfig,
    } as TopLevelSpec,
  };
}

/** Heatmaps of the final masks' pairwise overlap |S_a ∩ S_b| / min(|S_a|, |S_b|), one per sparse method and keep ratio. */
export function overlapFigure(b: BenchmarkReport): FigureSpec | null {
  const sparse = b.all.filter((s) => has(s) && s.overlap);
  if (!sparse.length) return null;
  const values = sparse.flatMap((s) =>
    s.tasks.flatMap((ta, i) => s.tasks.map((tb, j) => ({ panel: withP(s), a: ta, b: tb, overlap: s.overlap![i][j] }))),
  );
  const panels = sparse.map(withP);
  const side = Math.max(120, 50 * sparse[0].tasks.length);
  return {
    name: `${b.benchmark}-mask-overlap`,
    title: `${b.benchmark}: overlap of the tasks' masks`,
    spec: {
      $schema: SCHEMA,
      title: {
        text: `${b.benchmark}: how much of their masks two tasks share`,
        subtitle: [
          `Cell: |S_a ∩ S_b| / min(|S_a|, |S_b|) of the final masks, mean over ${seedsText(b)}; 1 = identical masks.`,
          'Independent random masks at keep ratio p overlap by about p.',
        ],
      },
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
      // One line of panels per method, one column per keep ratio.
      columns: Math.min(4, Math.max(...[...new Set(sparse.map((s) => s.row))].map((r) => sparse.filter((s) => s.row === r).length))),
      spec: {
        width: side,
        height: side,
        encoding: {
          x: { field: 'b', type: 'nominal', title: 'Task b', sort: sparse[0].tasks, axis: { labelAngle: -30 } },
          y: { field: 'a', type: 'nominal', title: 'Task a', sort: sparse[0].tasks },
        },
        layer: [
          {
            mark: 'rect',
            encoding: {
              color: { field: 'overlap', type: 'quantitative', title: 'Overlap (0–1)', scale: { domain: [0, 1], scheme: 'blues' } },
            },
          },
          {
            mark: { type: 'text', fontSize: 11 },
            encoding: {
              text: { field: 'overlap', type: 'quantitative', format: '.2f' },
              color: { condition: { test: 'datum.overlap > 0.6', value: 'white' }, value: 'black' },
            },
          },
        ],
      },
      config: baseConfig,
    } as TopLevelSpec,
  };
}

/** Every figure a benchmark's results allow (a figure with no data is left out). */
export function benchmarkFigures(b: BenchmarkReport): FigureSpec[] {
  return [perTaskFigure(b), keepRatioFigure(b), overlapFigure(b)].filter((f): f is FigureSpec => f !== null);
}
