// Predictions as text: a preview table with class counts, JSON, or CSV. Pure.
export interface TaskPredictions {
  task: string;
  numClasses: number;
  classes: Int32Array;
}

/** The first `rows` predictions (one column per task) and each task's class counts. */
export function formatPreview(preds: TaskPredictions[], n: number, rows = 10): string {
  const lines: string[] = [];
  const width = preds.map((p) => Math.max(p.task.length, 5));
  lines.push(['index'.padStart(7), ...preds.map((p, i) => p.task.padStart(width[i]))].join('  '));
  for (let r = 0; r < Math.min(rows, n); r++) {
    lines.push([String(r).padStart(7), ...preds.map((p, i) => String(p.classes[r]).padStart(width[i]))].join('  '));
  }
  if (n > rows) lines.push(`${'…'.padStart(7)}  (${n - rows} more)`);
  lines.push('');
  lines.push('Class counts:');
  for (const p of preds) {
    const counts = new Array<number>(p.numClasses).fill(0);
    for (const c of p.classes) counts[c]++;
    lines.push(`  ${p.task}: ${counts.map((k, c) => `${c}:${k}`).join(' ')}`);
  }
  return lines.join('\n');
}

export function formatJson(preds: TaskPredictions[], n: number, info: Record<string, unknown>): string {
  return JSON.stringify({ ...info, n, predictions: Object.fromEntries(preds.map((p) => [p.task, Array.from(p.classes)])) }) + '\n';
}

/** CSV: a header `index,[file,]<task>...` and one row per image (the file column when images came from files). */
export function formatCsv(preds: TaskPredictions[], n: number, files?: string[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const out = [(files ? 'index,file,' : 'index,') + preds.map((p) => quote(p.task)).join(',')];
  for (let r = 0; r < n; r++) out.push(`${r},${files ? quote(files[r]) + ',' : ''}${preds.map((p) => p.classes[r]).join(',')}`);
  return out.join('\n') + '\n';
}
