// Plain-text tables of results (pure formatting).
import type { TrainResult } from '../train/trainer.js';
import { meanStd } from '../metrics/classification.js';

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
  return r.masks ? `${m} (p=${r.config.keep})` : m;
}

/** One row per task and method, plus the average over tasks. */
export function perTaskTable(results: TrainResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (const t of r.perTask) rows.push([methodLabel(r), t.task, f3(t.accuracy), f3(t.precision), f3(t.recall), f3(t.f1)]);
    const a = r.average;
    rows.push([methodLabel(r), 'average', f3(a.accuracy), f3(a.precision), f3(a.recall), f3(a.f1)]);
  }
  return renderTable(['method', 'task', 'accuracy', 'precision', 'recall', 'F1'], rows);
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

/** Averaged metrics as mean ± std across runs of the same method (e.g. seeds). */
export function seedTable(groups: { label: string; runs: TrainResult[] }[]): string {
  const ms = (xs: number[]) => {
    const s = meanStd(xs);
    return `${f3(s.mean)} ± ${f3(s.std)}`;
  };
  return renderTable(
    ['method', 'runs', 'accuracy', 'precision', 'recall', 'F1'],
    groups.map((g) => [
      g.label,
      String(g.runs.length),
      ms(g.runs.map((r) => r.average.accuracy)),
      ms(g.runs.map((r) => r.average.precision)),
      ms(g.runs.map((r) => r.average.recall)),
      ms(g.runs.map((r) => r.average.f1)),
    ]),
  );
}
