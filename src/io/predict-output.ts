// Predictions as text: a preview table with a summary per task, JSON, or CSV. Pure.
import type { DecodedPredictions } from '../tasks/types.js';

export interface TaskPredictions {
  task: string;
  /** The task kind's columns: class; class and probability; one per regression target. */
  predictions: DecodedPredictions;
}

/** Column headers: the task name, or task/column when a task writes several columns. */
function headers(p: TaskPredictions): string[] {
  const cols = p.predictions.columns;
  return cols.length === 1 ? [p.task] : cols.map((c) => `${p.task}/${c}`);
}

const show = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

/** The first `rows` predictions (one column per task column) and a summary of each task's predictions. */
export function formatPreview(preds: TaskPredictions[], n: number, rows = 10): string {
  const cols = preds.flatMap((p) => p.predictions.values.map((v, c) => ({ name: headers(p)[c], v })));
  const width = cols.map((c) => Math.max(c.name.length, 5));
  const lines: string[] = [];
  lines.push(['index'.padStart(7), ...cols.map((c, i) => c.name.padStart(width[i]))].join('  '));
  for (let r = 0; r < Math.min(rows, n); r++) lines.push([String(r).padStart(7), ...cols.map((c, i) => show(c.v[r]).padStart(width[i]))].join('  '));
  if (n > rows) lines.push(`${'…'.padStart(7)}  (${n - rows} more)`);
  lines.push('', 'Summary:');
  for (const p of preds) {
    const { columns, values } = p.predictions;
    if (columns[0] === 'class') {
      const counts = new Map<number, number>();
      for (const c of values[0]) counts.set(c, (counts.get(c) ?? 0) + 1);
      lines.push(`  ${p.task}: class counts ${[...counts].sort((a, b) => a[0] - b[0]).map(([c, k]) => `${c}:${k}`).join(' ')}`);
    } else {
      const stats = values.map((v, c) => {
        const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
        return `${columns[c]} mean ${show(mean)}, range ${show(Math.min(...v))} … ${show(Math.max(...v))}`;
      });
      lines.push(`  ${p.task}: ${stats.join('; ')}`);
    }
  }
  return lines.join('\n');
}

export function formatJson(preds: TaskPredictions[], n: number, info: Record<string, unknown>): string {
  const byTask = preds.map((p) => {
    const { columns, values } = p.predictions;
    return [p.task, columns.length === 1 ? Array.from(values[0]) : Object.fromEntries(columns.map((c, i) => [c, Array.from(values[i])]))];
  });
  return JSON.stringify({ ...info, n, predictions: Object.fromEntries(byTask) }) + '\n';
}

/** CSV: a header `index,[file,]<task columns>...` and one row per input (the file column when inputs came from files). */
export function formatCsv(preds: TaskPredictions[], n: number, files?: string[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const values = preds.flatMap((p) => p.predictions.values);
  const out = [(files ? 'index,file,' : 'index,') + preds.flatMap(headers).map(quote).join(',')];
  for (let r = 0; r < n; r++) out.push(`${r},${files ? quote(files[r]) + ',' : ''}${values.map((v) => v[r]).join(',')}`);
  return out.join('\n') + '\n';
}
