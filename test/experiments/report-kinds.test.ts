// Reports of tasks of several kinds: per-task columns with their directions, Δm against STL, the keep
// ratio chosen on validation (or on test by name), and result files of store version 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport, renderMarkdown } from '../../src/experiments/report.js';
import { defaultLabel, KEEP_METHODS, runKey } from '../../src/experiments/spec.js';
import { readStore } from '../../src/experiments/store.js';
import { deltaM, type RunOutcome } from '../../src/experiments/summary.js';
import { parseTrainConfig } from '../../src/train/config.js';
import type { TaskResult, TrainResult } from '../../src/train/trainer.js';
import { fakeResult, tempDir } from './helpers.js';

/** A run on a benchmark with a class, a number and a yes/no: test and validation scores given per task. */
function mixedOutcome(row: number, method: string, seed: number, test: [number, number, number], val = test, keep = 0.3): RunOutcome {
  const k = KEEP_METHODS.includes(method) ? keep : null;
  const base = fakeResult({ method, seed, ...(k !== null ? { keep: k } : {}) }, 0.5);
  const cls = (x: number) => ({ accuracy: x, precision: x, recall: x, f1: x });
  const reg = (mae: number) => ({ mae, rmse: mae * 1.5, r2: 1 - mae / 10 });
  const tasks = (s: [number, number, number]): Record<string, number>[] => [cls(s[0]), reg(s[1]), cls(s[2])];
  const t = tasks(test);
  const v = tasks(val);
  const perTask: TaskResult[] = [
    { task: 'digit', kind: 'multiclass', spec: { kind: 'multiclass', classes: 10 }, metrics: t[0], validation: v[0] },
    { task: 'thickness', kind: 'regression', spec: { kind: 'regression', targets: 1 }, metrics: t[1], validation: v[1] },
    { task: 'thick', kind: 'binary', spec: { kind: 'binary' }, metrics: t[2], validation: v[2] },
  ];
  const result: TrainResult = { ...base, perTask, average: {} };
  return { benchmark: 'morpho', label: defaultLabel(method), row, method, weighting: 'ew', keep: k, seed, result };
}

test('Δm: relative differences to the reference, signed by direction, in %', () => {
  // accuracy 0.9 vs 0.8: +12.5 %; MAE 2 vs 4 (lower is better): +50 %
  assert.equal(deltaM([{ accuracy: 0.9 }, { mae: 2 }], [{ accuracy: 0.8 }, { mae: 4 }]), (12.5 + 50) / 2);
  assert.equal(deltaM([{ mae: 6 }], [{ mae: 4 }]), -50);
  assert.equal(deltaM([{ r2: 0.5 }], [{ r2: 0.5 }]), 0);
});

test('mixed kinds: columns of each task\'s main metrics, bold and ranks by direction, Δm against STL as the headline', () => {
  const all = [0, 1, 2].flatMap((seed) => [
    mixedOutcome(0, 'stl', seed, [0.9, 2.0, 0.8]),
    // MTL: better digit, much worse thickness
    mixedOutcome(1, 'mtl', seed, [0.95 + seed * 0.001, 4.0, 0.8]),
    // FS: slightly worse digit, the best thickness (lowest MAE)
    mixedOutcome(2, 'fs', seed, [0.92 + seed * 0.001, 1.0 + seed * 0.01, 0.85]),
  ]);
  const report = buildReport(all, { title: 'T' });
  const b = report.benchmarks[0];
  assert.equal(b.headline?.key, 'deltaM');
  assert.deepEqual(
    b.columns.map((c) => `${c.key}${c.higherIsBetter ? '↑' : '↓'}`),
    ['digit/accuracy↑', 'digit/f1↑', 'thickness/mae↓', 'thickness/r2↑', 'thick/accuracy↑', 'thick/f1↑'],
  );
  const md = renderMarkdown(report);
  assert.match(md, /\| Method \| p \| digit Accuracy ↑ \| digit F1 ↑ \| thickness MAE ↓ \| thickness R² ↑ \| thick Accuracy ↑ \| thick F1 ↑ \| Δm % ↑ \| Avg Rank \| FS − method \(Δm\) \| Runs \|/);
  const row = (label: string) => md.split('\n').find((l) => l.startsWith(`| ${label} |`))!;
  // The lowest MAE is bold (FS's), not the highest (MTL's).
  assert.match(row('FS'), /\*\*1\.010 ± 0\.010\*\*/);
  assert.doesNotMatch(row('MTL'), /\*\*4\.000/);
  // MTL has the best digit accuracy: bold there.
  assert.match(row('MTL'), /\*\*0\.951 ± 0\.001\*\*/);
  const fs = b.table.find((r) => r.summary.method === 'fs')!;
  const mtl = b.table.find((r) => r.summary.method === 'mtl')!;
  assert.ok(fs.deltaM! > 0 && mtl.deltaM! < 0, `Δm FS ${fs.deltaM}, MTL ${mtl.deltaM}`);
  // FS wins 4 of 6 columns: its average rank is the better one.
  assert.ok(fs.avgRank! < mtl.avgRank!);
  assert.ok(mtl.test && mtl.test.meanDiff > 0, 'the paired test compares Δm per seed');
  assert.match(md, /Highest Δm: FS/);
  // Δm uses every metric of every task, not only the columns shown: RMSE and precision move it too.
  const withoutRmse = buildReport(
    all.map((o) => ({ ...o, result: { ...o.result!, perTask: o.result!.perTask.map((t) => (t.kind === 'regression' ? { ...t, metrics: { ...t.metrics, rmse: 1 } } : t)) } })),
    { title: 'T' },
  ).benchmarks[0];
  assert.notEqual(withoutRmse.table.find((r) => r.summary.method === 'mtl')!.deltaM, mtl.deltaM);
});

test('the keep ratio is chosen on validation by default, on test by name (the paper\'s protocol)', () => {
  const all = [0, 1, 2].flatMap((seed) => [
    mixedOutcome(0, 'stl', seed, [0.9, 2.0, 0.8]),
    // p = 0.3: better on validation, worse on test; p = 0.9 the reverse.
    mixedOutcome(1, 'fs', seed, [0.85, 2.5, 0.8], [0.95, 1.5, 0.85], 0.3),
    mixedOutcome(1, 'fs', seed, [0.95, 1.5, 0.85], [0.85, 2.5, 0.8], 0.9),
  ]);
  const onVal = buildReport(all, { title: 'T' }).benchmarks[0];
  assert.equal(onVal.selectedOn, 'validation');
  assert.equal(onVal.table.find((r) => r.summary.method === 'fs')!.summary.keep, 0.3);
  const onTest = buildReport(all, { title: 'T', select: 'test' }).benchmarks[0];
  assert.equal(onTest.selectedOn, 'test');
  assert.equal(onTest.table.find((r) => r.summary.method === 'fs')!.summary.keep, 0.9);
  assert.match(renderMarkdown(buildReport(all, { title: 'T', select: 'test' })), /with the best test value \(the paper's protocol/);
  // Runs without a validation split fall back to test, and say so.
  const noVal = all.map((o) => ({ ...o, result: { ...o.result!, perTask: o.result!.perTask.map((t) => ({ ...t, validation: null })) } }));
  assert.equal(buildReport(noVal, { title: 'T' }).benchmarks[0].selectedOn, 'test');
});

test('store: results of version 1 (before task kinds) are read as multiclass results without validation', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'runs'));
  const config = parseTrainConfig({ method: 'mtl', seed: 0 }) as unknown as Record<string, unknown>;
  delete config.validation; // configs of version 1 had no such field
  const key = runKey(config as never);
  const m = { accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75 };
  const old = { ...fakeResult({ method: 'mtl' }, 0.5), config, perTask: [{ task: 'digits', ...m }], average: m };
  writeFileSync(join(dir, 'runs', `${key}.json`), JSON.stringify({ kind: 'fsmtl-run', version: 1, key, status: 'ok', result: old }));
  const store = readStore(dir);
  assert.deepEqual(store.corrupt, []);
  const r = store.results.get(key)!;
  assert.deepEqual(r.perTask, [{ task: 'digits', kind: 'multiclass', spec: { kind: 'multiclass', classes: 10 }, metrics: m, validation: null }]);
  assert.deepEqual(r.average, m);
});
