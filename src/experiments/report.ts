// The report in the paper's layout (Tables 1–2): per benchmark, one row per method at its selected
// keep ratio, mean ± std of every column over seeds, Δm against STL, the average rank, the best value
// in bold (each by its metric's direction), a paired t-test of FS against each method, and optionally
// the published row beside ours. The keep ratio is selected on the validation split (or on test, the
// paper's protocol, by name). Builds the model and renders it as Markdown and CSV; pure functions.
import { averageRanks } from './rank.js';
import { referenceValue, type Reference, type ReferenceRow } from './reference.js';
import { pairedTTest, type TTestResult } from './significance.js';
import { pLabel } from './spec.js';
import { deltaM, METRICS, seedTaskValues, summarize, taskMeans, type Column, type RunOutcome, type Summary } from './summary.js';

export interface ReportOptions {
  /** Report title. */
  title: string;
  description?: string;
  /** Label of the method the significance test compares the others with (default "FS"). */
  against?: string;
  reference?: Reference;
  /** Benchmark → table name in the reference file (e.g. hetero3 → "dkl-mnist"). */
  referenceKeys?: Record<string, string>;
  /** Decimals printed; ranks and bold use the means as printed. Default 3, as the paper. */
  digits?: number;
  /** Significance level of the † mark. Default 0.05. */
  alpha?: number;
  /**
   * Where the keep ratio of each method is chosen: 'validation' (default; the held-out part of the
   * training data) or 'test' (the paper's protocol, which reports the best test value).
   */
  select?: SelectionProtocol;
  /** Figure files per benchmark, relative to the report, to link under its table. */
  figures?: Record<string, { title: string; file: string }[]>;
}

export type SelectionProtocol = 'validation' | 'test';

export interface TableRow {
  summary: Summary;
  /** Δm against STL in % (positive: better than single-task), on the test split; null without STL. */
  deltaM: number | null;
  /** Average rank over the metrics; null for STL (as in the paper) and for rows without results. */
  avgRank: number | null;
  /** Paired t-test of the `against` method's per-seed F1 minus this row's (null: no test possible). */
  test: TTestResult | null;
  /** The published row with the same label, when a reference table exists for this benchmark. */
  paper: ReferenceRow | null;
}

export interface BenchmarkReport {
  benchmark: string;
  tasks: string[];
  /** The table's columns and their directions. */
  columns: Column[];
  /** What the significance test and the keep-ratio figure compare: F1 when every task classifies, else Δm. */
  /** What the significance test, the verdict and the keep-ratio figure compare: mean F1 when every task classifies, else Δm (needs STL); null when neither exists. */
  headline: { key: 'f1' | 'deltaM'; title: string } | null;
  /** The split the keep ratios were chosen on ('test' where the runs had no validation split). */
  selectedOn: SelectionProtocol;
  seeds: number[];
  /** One row per method, at the keep ratio with the highest mean F1. */
  table: TableRow[];
  /** Every (method, keep ratio). */
  all: Summary[];
  /** Reference table name, or null when the reference has none for this benchmark. */
  referenceKey: string | null;
  /** Row of the `against` method, if it has results. */
  against: TableRow | null;
}

export interface Report {
  options: Required<Pick<ReportOptions, 'title' | 'against' | 'digits' | 'alpha' | 'select'>> & ReportOptions;
  benchmarks: BenchmarkReport[];
  /** Runs that ended with an error. */
  failures: RunOutcome[];
  /** Planned runs with neither result nor error (not run yet). */
  missing: RunOutcome[];
  runs: number;
  /** Training settings that every finished run shares (shown in the report's header). */
  settings: string;
  totalSeconds: number;
}

const has = (s: Summary) => s.seeds.length > 0;
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** The STL row of a benchmark, when it has results (Δm's reference). */
function stlOf(all: Summary[]): Summary | undefined {
  return all.find((s) => s.method === 'stl' && has(s));
}

/**
 * The score a keep ratio is selected by, on the given split: mean F1 when every task classifies (the
 * paper's choice), else Δm against STL, else the mean over columns of each column's value relative to
 * the candidates' mean (signed by direction), so that no column's unit dominates.
 */
function selectionScores(candidates: Summary[], split: 'test' | 'validation', stl: Summary | undefined, digits: number): number[] {
  const value = (s: Summary, k: string) => (split === 'test' ? s.metrics[k].mean : s.validation[k].mean);
  const cols = candidates[0].columns;
  if (cols.some((c) => c.key === 'f1')) return candidates.map((s) => round(value(s, 'f1'), digits));
  if (stl) return candidates.map((s) => deltaM(taskMeans(s, split), taskMeans(stl, split)));
  return candidates.map((s) =>
    cols.reduce((acc, c) => {
      const mean = candidates.reduce((a, x) => a + value(x, c.key), 0) / candidates.length;
      return acc + ((c.higherIsBetter ? 1 : -1) * (value(s, c.key) - mean)) / (Math.abs(mean) || 1);
    }, 0) / cols.length,
  );
}

/** The keep ratio the table shows for a method: the best selection score; on a tie, fewer parameters. */
function bestKeep(candidates: Summary[], split: 'test' | 'validation', stl: Summary | undefined, digits: number): Summary {
  const done = candidates.filter(has);
  if (!done.length) return candidates[0];
  const scores = selectionScores(done, split, stl, digits);
  let best = 0;
  done.forEach((s, i) => {
    if (scores[i] > scores[best] || (scores[i] === scores[best] && (s.keep ?? 1) < (done[best].keep ?? 1))) best = i;
  });
  return done[best];
}

function settingsLine(outcomes: RunOutcome[]): string {
  const c = outcomes.find((o) => o.result)?.result?.config;
  if (!c) return '';
  const benchmarks = new Set(outcomes.map((o) => o.benchmark));
  const parts = [
    `${c.epochs} epochs`,
    `batch ${c.batchSize} per task`,
    `Adam lr ${c.lr}`,
    c.arch === 'mlp' ? `MLP extractor [${c.hidden.join(', ')}]` : `${c.arch} extractor`,
    ...(benchmarks.has('hetero3') ? [`hetero3: ${c.trainPerTask} train / ${c.testPerTask} test per task`] : []),
    ...(benchmarks.has('multimnist') ? [`multimnist: ${c.trainSize} train / ${c.testPerTask} test`] : []),
    c.validation ? `${c.validation} of the training examples held out for validation` : 'no validation split',
    `FS warm-up ${c.fs.warmupEpochs} epochs, masks every ${c.fs.interval}, N = ${c.fs.samples}`,
  ];
  return parts.join('; ');
}

export function buildReport(outcomes: RunOutcome[], options: ReportOptions): Report {
  const opts = { against: 'FS', digits: 3, alpha: 0.05, select: 'validation' as SelectionProtocol, ...options };
  const summaries = summarize(outcomes);
  const benchmarks = [...new Set(summaries.map((s) => s.benchmark))].map((benchmark): BenchmarkReport => {
    const all = summaries.filter((s) => s.benchmark === benchmark);
    const columns = all.find(has)?.columns ?? [];
    const stl = stlOf(all);
    // Validation needs every finished run to have one; stores from before validation existed fall back to test.
    const canValidate = all.filter(has).every((s) => columns.every((c) => Number.isFinite(s.validation[c.key].mean)));
    const selectedOn: SelectionProtocol = opts.select === 'validation' && canValidate ? 'validation' : 'test';
    const rows = [...new Set(all.map((s) => s.row))].sort((a, b) => a - b);
    const shown = rows.map((r) => bestKeep(all.filter((s) => s.row === r), selectedOn, stl, opts.digits));
    const headline: BenchmarkReport['headline'] = columns.some((c) => c.key === 'f1') ? { key: 'f1', title: 'F1' } : stl ? { key: 'deltaM', title: 'Δm' } : null;

    const ranked = shown.filter((s) => has(s) && s.method !== 'stl');
    const ranks = averageRanks(
      ranked.map((s) => columns.map((c) => round(s.metrics[c.key].mean, opts.digits))),
      columns.map((c) => c.higherIsBetter),
    );
    const key = opts.referenceKeys?.[benchmark];
    const refTable = key ? opts.reference?.tables[key] : undefined;
    const base = shown.find((s) => s.label === opts.against && has(s));
    /** The headline per seed: F1, or Δm of each seed's run against STL's mean. */
    const perSeed = (x: Summary, seeds: number[]) =>
      seeds.map((seed) => {
        const i = x.seeds.indexOf(seed);
        return headline!.key === 'f1' ? x.perSeed.f1[i] : deltaM(seedTaskValues(x, i), taskMeans(stl!, 'test'));
      });

    const table = shown.map((s): TableRow => {
      let test: TTestResult | null = null;
      if (base && s !== base && has(s)) {
        const seeds = s.seeds.filter((x) => base.seeds.includes(x));
        if (seeds.length >= 2 && headline) test = pairedTTest(perSeed(base, seeds), perSeed(s, seeds));
      }
      const i = ranked.indexOf(s);
      return {
        summary: s,
        deltaM: stl && has(s) ? deltaM(taskMeans(s, 'test'), taskMeans(stl, 'test')) : null,
        avgRank: i >= 0 ? ranks[i] : null,
        test,
        paper: refTable?.rows[s.label] ?? null,
      };
    });
    return {
      benchmark,
      tasks: all.find(has)?.tasks ?? [],
      columns,
      headline,
      selectedOn,
      seeds: [...new Set(all.flatMap((s) => s.seeds))].sort((a, b) => a - b),
      table,
      all,
      referenceKey: refTable ? key! : null,
      against: table.find((r) => r.summary === base) ?? null,
    };
  });
  const results = outcomes.filter((o) => o.result);
  return {
    options: opts,
    benchmarks,
    failures: outcomes.filter((o) => !o.result && o.error !== undefined),
    missing: outcomes.filter((o) => !o.result && o.error === undefined),
    runs: results.length,
    settings: settingsLine(outcomes),
    totalSeconds: results.reduce((s, o) => s + o.result!.timings.totalSeconds, 0),
  };
}

// ---- Markdown ----

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const cell = (mean: number, std: number, digits: number) => (Number.isFinite(mean) ? `${fmt(mean, digits)} ± ${fmt(std, digits)}` : 'failed');
const rankText = (r: number) => String(Number(r.toFixed(3)));
const pText = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
const signed = (x: number, digits: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
/** A published number with at least `digits` decimals, more where the paper printed more (0.0003). */
const published = (x: number, digits: number) => x.toFixed(Math.max(digits, (String(x).split('.')[1] ?? '').length));
/** The paper's p column for a published row: "-" for null/absent, else as our p column. */
const paperP = (row: ReferenceRow) => (row.p === null || row.p === undefined ? '-' : row.p === 1 ? '1.0' : String(row.p));

function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** The significance cell: FS − method in the headline (F1 or Δm) over the paired seeds, its p-value, † when p < alpha. */
export function significanceCell(row: TableRow, report: Report, isAgainst: boolean): string {
  if (isAgainst) return '(reference)';
  if (!row.test) return '';
  const { digits, alpha } = report.options;
  return `${signed(row.test.meanDiff, digits)}, ${pText(row.test.p)}${row.test.p < alpha ? ' †' : ''}`;
}

/** The best printed value of each column among the rows with results, by the column's direction. */
function bestOf(values: number[][], columns: Column[], digits: number): number[] {
  return columns.map((c, i) => {
    const xs = values.map((v) => round(v[i], digits)).filter(Number.isFinite);
    return c.higherIsBetter ? Math.max(...xs) : Math.min(...xs);
  });
}

const hasDeltaM = (b: BenchmarkReport) => b.table.some((r) => r.deltaM !== null);

/** The paper-layout table of one benchmark as Markdown. */
export function benchmarkTable(b: BenchmarkReport, report: Report): string {
  const { digits, against } = report.options;
  const withRef = !!b.referenceKey;
  const done = b.table.filter((r) => has(r.summary));
  const cols = b.columns;
  const best = bestOf(done.map((r) => cols.map((c) => r.summary.metrics[c.key].mean)), cols, digits);
  const ranks = done.map((r) => r.avgRank).filter((r): r is number => r !== null);
  const bestRank = ranks.length ? Math.min(...ranks) : NaN;
  const deltas = done.filter((r) => r.summary.method !== 'stl').map((r) => r.deltaM).filter((d): d is number => d !== null && Number.isFinite(d));
  const bestDelta = deltas.length ? Math.max(...deltas.map((d) => round(d, 2))) : NaN;
  const withDelta = hasDeltaM(b);
  const bold = (text: string, on: boolean) => (on ? `**${text}**` : text);
  const arrow = (c: Column) => (c.higherIsBetter ? '↑' : '↓');
  const header = [
    'Method',
    'p',
    ...cols.map((c) => `${c.title} ${arrow(c)}`),
    ...(withDelta ? ['Δm % ↑'] : []),
    'Avg Rank',
    `${against} − method (${b.headline?.title ?? '–'})`,
    'Runs',
  ];
  const rows: string[][] = [];
  for (const r of b.table) {
    const s = r.summary;
    rows.push([
      s.label,
      s.p,
      ...cols.map((c, i) => bold(cell(s.metrics[c.key].mean, s.metrics[c.key].std, digits), has(s) && round(s.metrics[c.key].mean, digits) === best[i])),
      ...(withDelta ? [r.deltaM === null ? '–' : s.method === 'stl' ? '0 (reference)' : bold(signed(r.deltaM, 2), round(r.deltaM, 2) === bestDelta)] : []),
      r.avgRank === null ? '-' : bold(rankText(r.avgRank), r.avgRank === bestRank),
      significanceCell(r, report, r === b.against),
      `${s.seeds.length}/${s.planned}`,
    ]);
    if (withRef && r.paper) {
      const p = r.paper;
      rows.push([
        '↳ *paper*',
        `*${paperP(p)}*`,
        ...cols.map((c) => {
          const v = c.task === null ? referenceValue(p, c.metric) : undefined;
          return v ? `*${published(v[0], digits)} ± ${published(v[1], digits)}*` : '';
        }),
        ...(withDelta ? [''] : []),
        p.avgRank === undefined ? '-' : `*${p.avgRank}*`,
        '',
        '',
      ]);
    }
  }
  return mdTable(header, rows);
}

/**
 * Per-layer density of each task's mask, for the table's methods that have masks; null when none has.
 * Methods whose shared networks have different layers (an architecture beside hard sharing) get one
 * table per network, each headed by its own layers.
 */
export function layerDensityTable(b: BenchmarkReport): string | null {
  const rows = b.table.map((r) => r.summary).filter((s) => s.layerDensity);
  if (!rows.length) return null;
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  const groups = new Map<string, typeof rows>();
  for (const s of rows) {
    const key = JSON.stringify(s.layerDensity!.layers);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()]
    .map((group) =>
      mdTable(
        ['Method', 'p', 'Task', ...group[0].layerDensity!.layers],
        group.flatMap((s) => s.tasks.map((task, t) => [s.label, s.p, task, ...s.layerDensity!.density[t].map(pct)])),
      ),
    )
    .join('\n\n');
}

/** Every method at every keep ratio (the sweep behind the FS/EFS/RS figure), test and, where chosen on it, validation. */
export function keepTable(b: BenchmarkReport, report: Report): string {
  const { digits } = report.options;
  const cols = b.columns;
  const onVal = b.selectedOn === 'validation';
  const rows = b.all.map((s) => [
    s.label,
    s.p,
    ...cols.map((c) => cell(s.metrics[c.key].mean, s.metrics[c.key].std, digits)),
    ...(onVal ? cols.map((c) => fmt(s.validation[c.key].mean, digits)) : []),
    `${s.seeds.length}/${s.planned}`,
  ]);
  return mdTable(['Method', 'p', ...cols.map((c) => c.title), ...(onVal ? cols.map((c) => `${c.title} (val)`) : []), 'Runs'], rows);
}

/** Plain words on where the `against` method wins and where it does not, from the numbers alone. */
export function verdict(b: BenchmarkReport, report: Report): string {
  const { against, digits, alpha } = report.options;
  const a = b.against;
  if (!a) return `No ${against} results on ${b.benchmark}, so there is no comparison.`;
  const others = b.table.filter((r) => r !== a && has(r.summary));
  const ranked = b.table.filter((r) => r.avgRank !== null);
  const position = ranked.filter((r) => r.avgRank! < a.avgRank!).length + 1;
  const rankLine = `${against}${a.summary.keep === null ? '' : ` (at keep ratio ${a.summary.p}, chosen on ${b.selectedOn})`} has Avg Rank ${a.avgRank === null ? '-' : rankText(a.avgRank)}, position ${position} of ${ranked.length} ranked methods.`;
  if (!b.headline) return `${rankLine} The tasks are of several kinds and there is no STL row, so there is no single score to compare (add STL for Δm).`;
  const title = b.headline.key === 'f1' ? 'mean F1' : 'Δm';
  const isF1 = b.headline.key === 'f1';
  const score = (r: TableRow) => (isF1 ? round(r.summary.metrics.f1.mean, digits) : round(r.deltaM ?? NaN, 2));
  // STL is Δm's reference (0 by definition), not a contender for the highest Δm.
  const scored = b.table.filter((r) => has(r.summary) && Number.isFinite(score(r)) && (isF1 || r.summary.method !== 'stl'));
  const top = Math.max(...scored.map(score));
  const bestRows = scored.filter((r) => score(r) === top).map((r) => r.summary.label);
  const compared = others.filter((r) => isF1 || r.summary.method !== 'stl');
  const below = compared.filter((r) => score(r) < score(a)).map((r) => r.summary.label);
  const above = compared.filter((r) => score(r) > score(a)).map((r) => r.summary.label);
  const sigWin = others.filter((r) => r.test && r.test.p < alpha && r.test.meanDiff > 0).map((r) => r.summary.label);
  const sigLoss = others.filter((r) => r.test && r.test.p < alpha && r.test.meanDiff < 0).map((r) => r.summary.label);
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  return [
    rankLine,
    `Highest ${title}: ${bestRows.join(', ')} (${top.toFixed(isF1 ? digits : 2)}).`,
    `${against}'s ${title} is above ${below.length} of ${compared.length} other methods and below ${list(above)}.`,
    `Significantly better (paired t, p < ${alpha}) than: ${list(sigWin)}; significantly worse than: ${list(sigLoss)}.`,
  ].join(' ');
}

function legend(report: Report, anyReference: boolean): string {
  const { against, alpha, digits } = report.options;
  const chosen = report.benchmarks.map((b) => b.selectedOn);
  const selectedOn = chosen.every((c) => c === 'validation') ? 'validation' : chosen.every((c) => c === 'test') ? 'test' : 'mixed';
  return [
    `- Each cell is the mean ± sample standard deviation over seeds of a metric on the test split: averaged over the benchmark's tasks when every task reports the same metrics (macro precision, recall and F1 per task), else one column per task and metric. ↑: higher is better, ↓: lower is better. **Bold**: the best printed value of the column.`,
    selectedOn === 'validation'
      ? `- Each method is shown at the keep ratio p chosen on the validation split (held out from the training data; never the test split): the best mean F1, or Δm where the tasks are not all classifiers. The tables "All keep ratios" list every p with its validation values.`
      : `- Each method is shown at the keep ratio p with the best test value (the paper's protocol, "the optimum p"${selectedOn === 'mixed' ? ', on the benchmarks whose runs have no validation split' : ''}): an optimistic choice, since the test split chooses. The tables "All keep ratios" list every p.`,
    `- p is the keep ratio for FS, EFS, RS, TR and MR, 1.0 for dense sharing (MTL and its gradient weightings), "-" for STL and SE.`,
    `- Δm: the mean over every task and metric of the relative difference to STL, in %, signed so that positive is better than single-task learning (as MTAN and LibMTL report it).`,
    `- Avg Rank, as in the paper's Tables 1–2: the methods are ranked on each column's mean as printed (${digits} decimals; 1 = best, by the column's direction; equal values share the mean of their ranks), and each method's ranks are averaged over the columns. STL gets no rank, as in the paper: it is the single-task reference the multi-task methods are measured against, not one of them.`,
    `- ${against} − method: the mean over seeds of the per-seed difference in the headline (mean F1, or Δm), and the two-sided p-value of a paired t-test on those differences; † marks p < ${alpha}. The test pairs runs by seed because a seed fixes the initial weights and the batch order for every method alike. With 3 seeds it has 2 degrees of freedom and needs |t| > 4.30 for p < 0.05, so it detects only large, consistent differences: no † is weak evidence of no difference.`,
    `- Runs: finished / planned runs.`,
    ...(anyReference ? [`- ↳ *paper*: the published row with the same name (${report.options.reference!.source}). Its Avg Rank is the published one, among the paper's own methods.`] : []),
  ].join('\n');
}

export function renderMarkdown(report: Report): string {
  const o = report.options;
  const out: string[] = [`# ${o.title}`, ''];
  if (o.description) out.push(o.description, '');
  const hours = report.totalSeconds / 3600;
  out.push(
    `${report.runs} finished runs (${hours >= 1 ? `${hours.toFixed(1)} h` : `${(report.totalSeconds / 60).toFixed(1)} min`} of training)` +
      `${report.failures.length ? `, ${report.failures.length} failed` : ''}${report.missing.length ? `, ${report.missing.length} not run yet` : ''}.` +
      (report.settings ? ` Settings: ${report.settings}.` : ''),
    '',
  );
  for (const b of report.benchmarks) {
    out.push(`## ${b.benchmark}`, '');
    out.push(`Tasks: ${b.tasks.join(', ') || '–'}. Seeds: ${b.seeds.join(', ') || '–'}.`);
    if (o.reference) {
      out.push(
        b.referenceKey
          ? `Published rows: the paper's "${b.referenceKey}" table.`
          : `The reference file has no table for ${b.benchmark}, so no published rows are shown.`,
      );
    }
    out.push('', benchmarkTable(b, report), '', verdict(b, report), '');
    if (b.all.length > b.table.length) out.push(`### ${b.benchmark}: all keep ratios`, '', keepTable(b, report), '');
    for (const f of o.figures?.[b.benchmark] ?? []) out.push(`![${f.title}](${f.file})`, '');
    const layers = layerDensityTable(b);
    if (layers) out.push(`### ${b.benchmark}: mask density per layer`, '', 'Share of each layer\'s shared parameters that a task\'s final mask keeps (mean over seeds), for the sparse methods of the table.', '', layers, '');
  }
  out.push('## How to read the tables', '', legend(report, !!o.reference && report.benchmarks.some((b) => b.referenceKey)), '');
  if (report.failures.length) {
    out.push('## Failed runs', '');
    out.push(
      mdTable(
        ['Benchmark', 'Method', 'p', 'Seed', 'Error'],
        report.failures.map((f) => [f.benchmark, f.label, pLabel(f.method, f.keep), String(f.seed), f.error!.replace(/\|/g, '\\|')]),
      ),
      '',
    );
  }
  return out.join('\n');
}

// ---- CSV ----

function csvLine(cells: (string | number | null | undefined)[]): string {
  return cells
    .map((c) => {
      if (c === null || c === undefined || (typeof c === 'number' && !Number.isFinite(c))) return '';
      const s = String(c);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

/** One line per (benchmark, method, keep ratio, column): the summary, whether the table shows it, rank, Δm, test, published value. */
export function renderCsv(report: Report): string {
  const { against } = report.options;
  const header = ['benchmark', 'method', 'p', 'in_table', 'runs', 'planned', 'failed', 'column', 'task', 'metric', 'higher_is_better', 'mean', 'std', 'validation_mean', 'delta_m', 'avg_rank', `headline_diff_${against}_minus_method`, 'p_value', 'paper_p', 'paper_mean', 'paper_std', 'paper_avg_rank'];
  const lines = [csvLine(header)];
  for (const b of report.benchmarks) {
    for (const s of b.all) {
      const row = b.table.find((r) => r.summary === s);
      const paper = b.referenceKey ? (row?.paper ?? null) : null;
      for (const c of b.columns) {
        const ref = paper && c.task === null ? referenceValue(paper, c.metric) : undefined;
        lines.push(
          csvLine([
            b.benchmark,
            s.label,
            s.p,
            row ? 1 : 0,
            s.seeds.length,
            s.planned,
            s.failed,
            c.key,
            c.task ?? '(mean)',
            c.metric,
            c.higherIsBetter ? 1 : 0,
            s.metrics[c.key].mean,
            s.metrics[c.key].std,
            s.validation[c.key].mean,
            row?.deltaM,
            row?.avgRank,
            row?.test?.meanDiff,
            row?.test?.p,
            paper ? paperP(paper) : null,
            ref?.[0],
            ref?.[1],
            paper?.avgRank,
          ]),
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** One line per (benchmark, method, keep ratio, task, metric): per-task mean ± std (the data of the per-task figure). */
export function renderPerTaskCsv(report: Report): string {
  const lines = [csvLine(['benchmark', 'method', 'p', 'task', 'metric', 'runs', 'mean', 'std', 'validation_mean'])];
  for (const b of report.benchmarks) {
    for (const s of b.all) {
      s.tasks.forEach((task, t) => {
        for (const [m, v] of Object.entries(s.perTask[t])) lines.push(csvLine([b.benchmark, s.label, s.p, task, m, s.seeds.length, v.mean, v.std, s.perTaskValidation[t][m]]));
      });
    }
  }
  return lines.join('\n') + '\n';
}
