import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference } from '../../src/experiments/reference.js';
import { buildReport, layerDensityTable, renderCsv, renderMarkdown, renderPerTaskCsv } from '../../src/experiments/report.js';
import type { RunOutcome } from '../../src/experiments/summary.js';
import { outcome } from './helpers.js';

// Every metric of a fake run equals its score, so each row's four metric columns are equal.
const scores: [number, string, number[], Record<string, unknown>?][] = [
  [0, 'stl', [0.9, 0.91, 0.92]],
  [1, 'mtl', [0.8, 0.81, 0.82]],
  [2, 'mtl', [0.79, 0.83, 0.81], { weighting: 'cagrad' }],
  [3, 'fs', [0.7, 0.71, 0.72], { keep: 0.3 }],
  [3, 'fs', [0.85, 0.87, 0.86], { keep: 0.9 }],
  [4, 'rs', [0.8, 0.9, 0.7], { keep: 0.9 }],
];
function outcomes(): RunOutcome[] {
  return scores.flatMap(([row, method, s, opts]) => s.map((x, seed) => outcome(row, method, seed, x, opts)));
}

const reference = parseReference(
  {
    source: 'Paper, Table 1',
    'dkl-mnist': {
      tasks: 3,
      metrics: ['accuracy', 'precision', 'recall', 'f1'],
      rows: {
        STL: { p: null, accuracy: [0.877, 0.002], precision: [0.807, 0.006], recall: [0.807, 0.005], f1: [0.797, 0.006] },
        FS: { p: 0.9, accuracy: [0.88, 0.001], precision: [0.811, 0.006], recall: [0.813, 0.007], f1: [0.801, 0.0003], avgRank: 1 },
      },
    },
  },
  'tables.json',
);

/** Δm of a row whose two tasks score mean + 0.01 and mean − 0.01 against STL's (0.92, 0.90), as printed. */
const dm = (mean: number) => {
  const d = (100 * ((mean + 0.01 - 0.92) / 0.92 + (mean - 0.01 - 0.9) / 0.9)) / 2;
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)}`;
};

test('table layout: header, rows in config order at their best p, bold best values, Δm, Avg Rank, paired t-test marks', () => {
  const md = renderMarkdown(buildReport(outcomes(), { title: 'T' }));
  const lines = md.split('\n');
  const start = lines.indexOf('| Method | p | Accuracy ↑ | Precision ↑ | Recall ↑ | F1 ↑ | Δm % ↑ | Avg Rank | FS − method (F1) | Runs |');
  assert.ok(start > 0, md);
  const x = (v: string) => Array(4).fill(v).join(' | ');
  // p-values: SciPy 1.17.1 scipy.stats.ttest_rel([.85,.87,.86], other) = 0.01307 (STL, MTL, CAGrad), 0.38974 (RS).
  assert.deepEqual(lines.slice(start + 1, start + 7), [
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| STL | - | ${x('**0.910 ± 0.010**')} | 0 (reference) | - | −0.050, p = 0.013 † | 3/3 |`,
    `| MTL | 1.0 | ${x('0.810 ± 0.010')} | ${dm(0.81)} | 2.5 | +0.050, p = 0.013 † | 3/3 |`,
    `| CAGrad | 1.0 | ${x('0.810 ± 0.020')} | ${dm(0.81)} | 2.5 | +0.050, p = 0.013 † | 3/3 |`,
    `| FS | 0.9 | ${x('0.860 ± 0.010')} | **${dm(0.86)}** | **1** | (reference) | 3/3 |`,
    `| RS | 0.9 | ${x('0.800 ± 0.100')} | ${dm(0.8)} | 4 | +0.060, p = 0.390 | 3/3 |`,
  ]);
  assert.equal(lines[start + 7], '');
  assert.match(md, /FS \(at keep ratio 0\.9, chosen on validation\) has Avg Rank 1, position 1 of 4 ranked methods\. Highest mean F1: STL \(0\.910\)\./);
  assert.match(md, /Significantly better \(paired t, p < 0\.05\) than: MTL, CAGrad; significantly worse than: STL\./);
  // The sweep table lists both FS keep ratios.
  assert.match(md, /### hetero3: all keep ratios[\s\S]*\| FS \| 0\.3 \| 0\.710 ± 0\.010 \|[\s\S]*\| FS \| 0\.9 \| 0\.860 ± 0\.010 \|/);
  assert.match(md, /STL gets no rank, as in the paper/);
  assert.match(md, /† marks p < 0\.05/);
});

test('published rows beside ours, only where the reference has the benchmark and the label', () => {
  const all = [...outcomes(), outcome(0, 'stl', 0, 0.5, { benchmark: 'multimnist' }), outcome(0, 'stl', 1, 0.6, { benchmark: 'multimnist' })];
  const md = renderMarkdown(buildReport(all, { title: 'T', reference, referenceKeys: { hetero3: 'dkl-mnist' } }));
  const lines = md.split('\n');
  const stl = lines.findIndex((l) => l.startsWith('| STL | - |'));
  assert.equal(lines[stl + 1], '| ↳ *paper* | *-* | *0.877 ± 0.002* | *0.807 ± 0.006* | *0.807 ± 0.005* | *0.797 ± 0.006* |  | - |  |  |');
  const fs = lines.findIndex((l) => l.startsWith('| FS | 0.9 |'));
  assert.equal(lines[fs + 1], '| ↳ *paper* | *0.9* | *0.880 ± 0.001* | *0.811 ± 0.006* | *0.813 ± 0.007* | *0.801 ± 0.0003* |  | *1* |  |  |');
  assert.ok(lines[lines.findIndex((l) => l.startsWith('| MTL |')) + 1].startsWith('| CAGrad |'), 'no published MTL row in this reference');
  assert.match(md, /Published rows: the paper's "dkl-mnist" table\./);
  assert.match(md, /The reference file has no table for multimnist, so no published rows are shown\./);
  assert.equal((md.match(/↳ \*paper\*/g) ?? []).length, 2 + 1); // two rows and the legend
});

test('failed and missing runs: counted per row, listed, a row with no result says failed and gets no rank', () => {
  const all = [
    ...outcomes(),
    outcome(5, 'mtl', 0, null, { weighting: 'nash', error: 'task digits: the training loss became NaN' }),
    outcome(5, 'mtl', 1, null, { weighting: 'nash' }),
  ];
  const report = buildReport(all, { title: 'T' });
  assert.equal(report.failures.length, 1);
  assert.equal(report.missing.length, 1);
  const md = renderMarkdown(report);
  assert.match(md, /\| Nash-MTL \| 1\.0 \| failed \| failed \| failed \| failed \| – \| - \|  \| 0\/2 \|/);
  assert.match(md, /## Failed runs[\s\S]*\| hetero3 \| Nash-MTL \| 1\.0 \| 0 \| task digits: the training loss became NaN \|/);
  assert.match(md, /, 1 failed, 1 not run yet\./);
});

test('CSV: one line per method, keep ratio and column, quoted where needed; per-task CSV', () => {
  const report = buildReport(outcomes(), { title: 'T', reference, referenceKeys: { hetero3: 'dkl-mnist' } });
  const lines = renderCsv(report).trim().split('\n');
  const header = lines[0].split(',');
  assert.deepEqual(header, [
    'benchmark', 'method', 'p', 'in_table', 'runs', 'planned', 'failed', 'column', 'task', 'metric', 'higher_is_better', 'mean', 'std',
    'validation_mean', 'delta_m', 'avg_rank', 'headline_diff_FS_minus_method', 'p_value', 'paper_p', 'paper_mean', 'paper_std', 'paper_avg_rank',
  ]);
  assert.equal(lines.length, 1 + 6 * 4);
  const col = (name: string) => header.indexOf(name);
  const fs03 = lines.find((l) => l.startsWith('hetero3,FS,0.3,'))!.split(',');
  assert.equal(fs03[col('in_table')], '0'); // not in the table: FS is shown at p = 0.9
  const fs09 = lines.find((l) => l.startsWith('hetero3,FS,0.9,1,3,3,0,f1,'))!.split(',');
  assert.deepEqual(
    ['metric', 'higher_is_better', 'mean', 'avg_rank', 'paper_p', 'paper_mean', 'paper_std', 'paper_avg_rank'].map((c) => fs09[col(c)]),
    ['f1', '1', '0.86', '1', '0.9', '0.801', '0.0003', '1'],
  );
  assert.equal(Number(fs09[col('delta_m')]).toFixed(2), dm(0.86).replace('−', '-').replace('+', ''));
  const perTask = renderPerTaskCsv(report).trim().split('\n');
  assert.equal(perTask.length, 1 + 6 * 2 * 4);
  assert.match(perTask[1], /^hetero3,STL,-,task0,accuracy,3,0\.92/);
});

test('ties: equal printed means share ranks and are both bold', () => {
  const tied = [0, 1, 2].flatMap((seed) => [outcome(0, 'mtl', seed, 0.8), outcome(1, 'fs', seed, 0.8 + 1e-6), outcome(2, 'rs', seed, 0.7)]);
  const md = renderMarkdown(buildReport(tied, { title: 'T' }));
  assert.match(md, /\| MTL \| 1\.0 \| \*\*0\.800 ± 0\.000\*\* \|.* \| \*\*1\.5\*\* \|/);
  assert.match(md, /\| FS \| 0\.3 \| \*\*0\.800 ± 0\.000\*\* \|.* \| \*\*1\.5\*\* \|/);
  assert.match(md, /\| RS \| 0\.3 \| 0\.700 ± 0\.000 \|.* \| 3 \|/);
});

test('mask density per layer: one table per shared network, each headed by its own layers', () => {
  const summary = (label: string, layers: string[] | null, density: number[][] = []) => ({ summary: { label, p: '0.9', tasks: ['a', 'b'], layerDensity: layers && { layers, density } } });
  const b = {
    table: [
      summary('MTL', null),
      summary('FS', ['dense0', 'dense1'], [[0.9, 0.8], [0.7, 0.6]]),
      summary('FS (MMoE)', ['expert0/dense0', 'expert0/dense1', 'expert1/dense0', 'expert1/dense1'], [[1, 0.95, 0.5, 0.4], [1, 0.9, 0.45, 0.35]]),
      summary('FS (CGC)', ['expert0/dense0', 'expert0/dense1', 'expert1/dense0', 'expert1/dense1'], [[1, 1, 0.3, 0.2], [1, 1, 0.25, 0.15]]),
    ],
  } as never;
  const tables = layerDensityTable(b)!.split('\n\n');
  assert.equal(tables.length, 2);
  assert.match(tables[0], /^\| Method \| p \| Task \| dense0 \| dense1 \|\n/);
  assert.match(tables[0], /\| FS \| 0\.9 \| b \| 70% \| 60% \|/);
  assert.match(tables[1], /^\| Method \| p \| Task \| expert0\/dense0 \| expert0\/dense1 \| expert1\/dense0 \| expert1\/dense1 \|\n/);
  assert.match(tables[1], /\| FS \(MMoE\) \| 0\.9 \| a \| 100% \| 95% \| 50% \| 40% \|[\s\S]*\| FS \(CGC\) \| 0\.9 \| b \| 100% \| 100% \| 25% \| 15% \|/);
  assert.equal(layerDensityTable({ table: [summary('MTL', null)] } as never), null);
});
