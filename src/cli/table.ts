// Plain-text tables of results (pure formatting).
import type { TrainResult } from '../train/trainer.js';
import { metricTitle } from '../tasks/registry.js';

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** Method label with its keep ratio where it has one. */
export function methodLabel(r: TrainResult): string {
  const m = r.config.method.toUpperCase() + (r.config.weighting !== 'ew' ? `+${r.config.weighting.toUpperCase()}` : '');
  const arch = r.config.architecture && r.config.architecture !== 'hps' ? ` [${r.config.architecture}]` : '';
  return (r.masks ? `${m} (p=${r.config.keep})` : m) + arch;
}

/** One row per task and method with the task's metrics (tasks of different kinds have different columns), plus the averages. */
export function perTaskTable(results: TrainResult[]): string {
  const names = [...new Set(results.flatMap((r) => r.perTask.flatMap((t) => Object.keys(t.metrics))))];
  const cell = (m: Record<string, number>, k: string) => (k in m ? f3(m[k]) : '');
  const rows: string[][] = [];
  for (const r of results) {
    for (const t of r.perTask) rows.push([methodLabel(r), t.task, ...names.map((k) => cell(t.metrics, k))]);
    if (r.perTask.length > 1 && Object.keys(r.average).length) rows.push([methodLabel(r), 'average', ...names.map((k) => cell(r.average, k))]);
  }
  return renderTable(['method', 'task', ...names.map(metricTitle)], rows);
}

/** Mask statistics of the sparse methods. */
export function maskTable(results: TrainResult[]): string | null {
  const sparse = results.filter((r) => r.masks);
  if (!sparse.length) return null;
  return renderTable(
    ['method', 'density per task', 'mean overlap', 'union'],
    sparse.map((r) => [methodLabel(r), r.masks!.density.map(pct).join(' / '), f3(r.masks!.meanOverlap), pct(r.masks!.union)]),
  );
}
