// The report in the paper's layout (Tables 1–2): per benchmark, one row per method at its best keep
// ratio, mean ± std of every metric over seeds, the average rank, the best value in bold, a paired
// t-test of FS against each method, and optionally the published row beside ours. Builds the model
// and renders it as Markdown and CSV; pure functions, no I/O.
import { averageRanks } from './rank.js';
import { referenceValue, type Reference, type ReferenceRow } from './reference.js';
import { pairedTTest, type TTestResult } from './significance.js';
import { pLabel } from './spec.js';
import { METRICS, METRIC_TITLES, summarize, type RunOutcome, type Summary } from './summary.js';

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
  /** Figure files per benchmark, relative to the report, to link under its table. */
  figures?: Record<string, { title: string; file: string }[]>;
}

export interface TableRow {
  summary: Summary;
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
  options: Required<Pick<ReportOptions, 'title' | 'against' | 'digits' | 'alpha'>> & ReportOptions;
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

/** The keep ratio the table shows for a method: highest mean F1 as printed; on a tie, fewer parameters. */
function bestKeep(candidates: Summary[], digits: number): Summary {
  const done = candidates.filter(has);
  if (!done.length) return candidates[0];
  return done.reduce((best, s) => {
    const a = round(s.metrics.f1.mean, digits);
    const b = round(best.metrics.f1.mean, digits);
    return a > b || (a === b && (s.keep ?? 1) < (best.keep ?? 1)) ? s : best;
  });
}

function settingsLine(outcomes: RunOutcome[]): string {
  const c = outcomes.find((o) => o.result)?.result?.config;
  if (!c) return '';
  const parts = [
    `${c.epochs} epochs`,
    `batch ${c.batchSize} per task`,
    `Adam lr ${c.lr}`,
    c.arch === 'mlp' ? `MLP extractor [${c.hidden.join(', ')}]` : 'LeNet extractor',
    `hetero3: ${c.trainPerTask} train / ${c.testPerTask} test per task`,
    `multimnist: ${c.trainSize} train / ${c.testPerTask} test`,
    `FS warm-up ${c.fs.warmupEpochs} epochs, masks every ${c.fs.interval}, N = ${c.fs.samples}`,
  ];
  return parts.join('; ');
}

export function buildReport(outcomes: RunOutcome[], options: ReportOptions): Report {
  const opts = { against: 'FS', digits: 3, alpha: 0.05, ...options };
  const summaries = summarize(outcomes);
  const benchmarks = [...new Set(summaries.map((s) => s.benchmark))].map((benchmark): BenchmarkReport => {
    const all = summaries.filter((s) => s.benchmark === benchmark);
    const rows = [...new Set(all.map((s) => s.row))].sort((a, b) => a - b);
    const shown = rows.map((r) => bestKeep(all.filter((s) => s.row === r), opts.digits));

    const ranked = shown.filter((s) => has(s) && s.method !== 'stl');
    const ranks = averageRanks(
      ranked.map((s) => METRICS.map((m) => round(s.metrics[m].mean, opts.digits))),
      METRICS.map(() => true),
    );
    const key = opts.referenceKeys?.[benchmark];
    const refTable = key ? opts.reference?.tables[key] : undefined;
    const base = shown.find((s) => s.label === opts.against && has(s));

    const table = shown.map((s): TableRow => {
      let test: TTestResult | null = null;
      if (base && s !== base && has(s)) {
        const seeds = s.seeds.filter((x) => base.seeds.includes(x));
        if (seeds.length >= 2) {
          const f1 = (x: Summary) => seeds.map((seed) => x.perSeed.f1[x.seeds.indexOf(seed)]);
          test = pairedTTest(f1(base), f1(s));
        }
      }
      const i = ranked.indexOf(s);
      return { summary: s, avgRank: i >= 0 ? ranks[i] : null, test, paper: refTable?.rows[s.label] ?? null };
    });
    return {
      benchmark,
      tasks: all.find(has)?.tasks ?? [],
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

/** The significance cell: FS − method in mean F1 over the paired seeds, its p-value, † when p < alpha. */
export function significanceCell(row: TableRow, report: Report, isAgainst: boolean): string {
  if (isAgainst) return '(reference)';
  if (!row.test) return '';
  const { digits, alpha } = report.options;
  return `${signed(row.test.meanDiff, digits)}, ${pText(row.test.p)}${row.test.p < alpha ? ' †' : ''}`;
}

/** The paper-layout table of one benchmark as Markdown. */
export function benchmarkTable(b: BenchmarkReport, report: Report): string {
  const { digits, against } = report.options;
  const withRef = !!b.referenceKey;
  const done = b.table.filter((r) => has(r.summary));
  const best = METRICS.map((m) => Math.max(...done.map((r) => round(r.summary.metrics[m].mean, digits))));
  const ranks = done.map((r) => r.avgRank).filter((r): r is number => r !== null);
  const bestRank = ranks.length ? Math.min(...ranks) : NaN;
  const bold = (text: string, on: boolean) => (on ? `**${text}**` : text);
  const header = ['Method', 'p', ...METRICS.map((m) => METRIC_TITLES[m]), 'Avg Rank', `${against} − method (F1)`, 'Runs'];
  const rows: string[][] = [];
  for (const r of b.table) {
    const s = r.summary;
    rows.push([
      s.label,
      s.p,
      ...METRICS.map((m, i) => bold(cell(s.metrics[m].mean, s.metrics[m].std, digits), has(s) && round(s.metrics[m].mean, digits) === best[i])),
      r.avgRank === null ? '-' : bold(rankText(r.avgRank), r.avgRank === bestRank),
      significanceCell(r, report, r === b.against),
      `${s.seeds.length}/${s.planned}`,
    ]);
    if (withRef && r.paper) {
      const p = r.paper;
      rows.push([
        '↳ *paper*',
        `*${paperP(p)}*`,
        ...METRICS.map((m) => {
          const v = referenceValue(p, m);
          return v ? `*${published(v[0], digits)} ± ${published(v[1], digits)}*` : '';
        }),
        p.avgRank === undefined ? '-' : `*${p.avgRank}*`,
        '',
        '',
      ]);
    }
  }
  return mdTable(header, rows);
}

/** Every method at every keep ratio (the sweep behind the FS/EFS/RS figure). */
export function keepTable(b: BenchmarkReport, report: Report): string {
  const { digits } = report.options;
  const rows = b.all.map((s) => [s.label, s.p, ...METRICS.map((m) => cell(s.metrics[m].mean, s.metrics[m].std, digits)), `${s.seeds.length}/${s.planned}`]);
  return mdTable(['Method', 'p', ...METRICS.map((m) => METRIC_TITLES[m]), 'Runs'], rows);
}

/** Plain words on where the `against` method wins and where it does not, from the numbers alone. */
export function verdict(b: BenchmarkReport, report: Report): string {
  const { against, digits, alpha } = report.options;
  const a = b.against;
  if (!a) return `No ${against} results on ${b.benchmark}, so there is no comparison.`;
  const others = b.table.filter((r) => r !== a && has(r.summary));
  const f1 = (r: TableRow) => round(r.summary.metrics.f1.mean, digits);
  const ranked = b.table.filter((r) => r.avgRank !== null);
  const position = ranked.filter((r) => r.avgRank! < a.avgRank!).length + 1;
  const topF1 = Math.max(...b.table.filter((r) => has(r.summary)).map(f1));
  const bestF1 = b.table.filter((r) => has(r.summary) && f1(r) === topF1).map((r) => r.summary.label);
  const below = others.filter((r) => f1(r) < f1(a)).map((r) => r.summary.label);
  const above = others.filter((r) => f1(r) > f1(a)).map((r) => r.summary.label);
  const sigWin = others.filter((r) => r.test && r.test.p < alpha && r.test.meanDiff > 0).map((r) => r.summary.label);
  const sigLoss = others.filter((r) => r.test && r.test.p < alpha && r.test.meanDiff < 0).map((r) => r.summary.label);
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  return [
    `${against}${a.summary.keep === null ? '' : ` (at keep ratio ${a.summary.p})`} has Avg Rank ${a.avgRank === null ? '-' : rankText(a.avgRank)}, position ${position} of ${ranked.length} ranked methods.`,
    `Highest mean F1: ${bestF1.join(', ')} (${topF1.toFixed(digits)}).`,
    `${against}'s mean F1 is above ${below.length} of ${others.length} other methods and below ${list(above)}.`,
    `Significantly better (paired t, p < ${alpha}) than: ${list(sigWin)}; significantly worse than: ${list(sigLoss)}.`,
  ].join(' ');
}

function legend(report: Report, anyReference: boolean): string {
  const { against, alpha, digits } = report.options;
  return [
    `- Each cell is the mean ± sample standard deviation over seeds of the metric averaged over the benchmark's tasks (macro precision, recall and F1 per task). **Bold**: the best printed value of the column.`,
    `- Each method is shown at the keep ratio p with its highest mean F1 (the paper reports "the optimum p"); the tables "All keep ratios" list every p. p is the keep ratio for FS, EFS, RS, TR and MR, 1.0 for dense sharing (MTL and its gradient weightings), "-" for STL and SE.`,
    `- Avg Rank, as in the paper's Tables 1–2: the methods are ranked on each metric's mean as printed (${digits} decimals; 1 = best; equal values share the mean of their ranks), and each method's ranks are averaged over the ${METRICS.length} metrics. STL gets no rank, as in the paper: it is the single-task reference the multi-task methods are measured against, not one of them.`,
    `- ${against} − method (F1): the mean over seeds of the per-seed difference in averaged F1, and the two-sided p-value of a paired t-test on those differences; † marks p < ${alpha}. The test pairs runs by seed because a seed fixes the initial weights and the batch order for every method alike. With 3 seeds it has 2 degrees of freedom and needs |t| > 4.30 for p < 0.05, so it detects only large, consistent differences: no † is weak evidence of no difference.`,
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

/** One line per (benchmark, method, keep ratio): the summary, whether the table shows it, rank, test, published row. */
export function renderCsv(report: Report): string {
  const { against } = report.options;
  const metricCols = (prefix: string) => METRICS.flatMap((m) => [`${prefix}${m}_mean`, `${prefix}${m}_std`]);
  const header = ['benchmark', 'method', 'p', 'in_table', 'runs', 'planned', 'failed', ...metricCols(''), 'avg_rank', `f1_diff_${against}_minus_method`, 'p_value', 'paper_p', ...metricCols('paper_'), 'paper_avg_rank'];
  const lines = [csvLine(header)];
  for (const b of report.benchmarks) {
    for (const s of b.all) {
      const row = b.table.find((r) => r.summary === s);
      const paper = b.referenceKey ? (row?.paper ?? null) : null;
      lines.push(
        csvLine([
          b.benchmark,
          s.label,
          s.p,
          row ? 1 : 0,
          s.seeds.length,
          s.planned,
          s.failed,
          ...METRICS.flatMap((m) => [s.metrics[m].mean, s.metrics[m].std]),
          row?.avgRank,
          row?.test?.meanDiff,
          row?.test?.p,
          paper ? paperP(paper) : null,
          ...METRICS.flatMap((m) => (paper ? (referenceValue(paper, m) ?? [null, null]) : [null, null])),
          paper?.avgRank,
        ]),
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** One line per (benchmark, method, keep ratio, task): per-task mean ± std (the data of the per-task figure). */
export function renderPerTaskCsv(report: Report): string {
  const lines = [csvLine(['benchmark', 'method', 'p', 'task', 'runs', ...METRICS.flatMap((m) => [`${m}_mean`, `${m}_std`])])];
  for (const b of report.benchmarks) {
    for (const s of b.all) {
      s.tasks.forEach((task, t) => {
        lines.push(csvLine([b.benchmark, s.label, s.p, task, s.seeds.length, ...METRICS.flatMap((m) => [s.perTask[t][m].mean, s.perTask[t][m].std])]));
      });
    }
  }
  return lines.join('\n') + '\n';
}
