// The report command's output: files, figures readable as SVG and PNG, and one-line CLI errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { publishReport } from '../../src/experiments/publish.js';
import { parseExperiment } from '../../src/experiments/spec.js';
import { writeManifest, writeRunResult } from '../../src/experiments/store.js';
import { fakeResult, tempDir } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;

/** A store with fake results: three methods on hetero3, FS and RS at two keep ratios, two seeds. */
function fakeStore(): string {
  const dir = tempDir();
  const e = parseExperiment(
    { benchmarks: ['hetero3'], seeds: [0, 1], keep: [0.3, 0.9], methods: [{ method: 'stl' }, { method: 'mtl' }, { method: 'rs' }, { method: 'fs' }], output: dir },
    join(dir, 'exp.json'),
  );
  writeManifest(dir, e);
  e.runs.forEach((r, i) => writeRunResult(dir, r.key, fakeResult(r.config, 0.6 + 0.01 * (i % 7), [0.02, -0.01, -0.01], r.method === 'fs' ? 0.7 : undefined)));
  return dir;
}

test('report files: Markdown, CSV, and SVG/PNG figures that name their axes and legends', async () => {
  const dir = fakeStore();
  const out = tempDir();
  const p = await publishReport(dir, { outDirs: [out], reference: '/nonexistent/tables.json' }).catch((e: Error) => e);
  assert.ok(p instanceof Error && /cannot read reference \/nonexistent\/tables\.json: ENOENT/.test(p.message));

  const published = await publishReport(dir, { outDirs: [out] });
  const names = published.files.map((f) => f.slice(out.length + 1)).sort();
  assert.deepEqual(names, [
    'figures/hetero3-keep-ratio.png',
    'figures/hetero3-keep-ratio.svg',
    'figures/hetero3-mask-overlap.png',
    'figures/hetero3-mask-overlap.svg',
    'figures/hetero3-per-task.png',
    'figures/hetero3-per-task.svg',
    'per-task.csv',
    'report.csv',
    'report.md',
  ]);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /^# Experiment exp\n/);
  assert.match(md, /!\[hetero3: per-task test Accuracy, F1 \(macro\) of each method\]\(figures\/hetero3-per-task\.svg\)/);

  const perTask = readFileSync(join(out, 'figures/hetero3-per-task.svg'), 'utf8');
  assert.match(perTask, /^<svg/);
  for (const text of ['Task', 'Score on the test split (0–1)', 'Method (keep ratio p)', 'FS (p=', 'Accuracy', 'F1 (macro)', 'task0', 'task2']) {
    assert.ok(perTask.includes(text), `per-task figure shows '${text}'`);
  }
  const keep = readFileSync(join(out, 'figures/hetero3-keep-ratio.svg'), 'utf8');
  for (const text of ['Keep ratio p (fraction of shared parameters each task keeps)', 'F1 (macro), averaged over tasks', 'Sparse method', 'MTL (dense)', 'STL (dense)']) {
    assert.ok(keep.includes(text), `keep-ratio figure shows '${text}'`);
  }
  const overlap = readFileSync(join(out, 'figures/hetero3-mask-overlap.svg'), 'utf8');
  for (const text of ['Task a', 'Task b', 'Overlap (0–1)', 'FS (p=0.3)', 'RS (p=0.9)', '0.70']) assert.ok(overlap.includes(text), `overlap figure shows '${text}'`);

  const png = PNG.sync.read(readFileSync(join(out, 'figures/hetero3-per-task.png')));
  assert.ok(png.width > 600 && png.height > 300, `${png.width}×${png.height}`);
  // Not blank: some dark pixels (text, axes) on the white background.
  let dark = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 80 && png.data[i + 1] < 80 && png.data[i + 2] < 80) dark++;
  assert.ok(dark > 1000, `${dark} dark pixels`);
});

function fsmtl(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertOneLineError(r: ReturnType<typeof fsmtl>, pattern: RegExp) {
  assert.notEqual(r.code, 0);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], pattern);
}

test('CLI: report prints the table; bad configs and folders end with one line naming the file and field', () => {
  const dir = fakeStore();
  const r = fsmtl('report', dir, '--no-figures');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\| Method \| p \| Accuracy ↑ \| Precision ↑ \| Recall ↑ \| F1 ↑ \| Δm % ↑ \| Avg Rank \| FS − method \(F1\) \| Runs \|/);
  assert.match(r.out, /Report: .*report\.md \(with report\.csv, per-task\.csv\)/);

  const help = fsmtl('experiment', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: fsmtl experiment \[options\] <config>[\s\S]*--jobs <n>[\s\S]*--retry-failed/);

  const cfg = tempDir();
  writeFileSync(join(cfg, 'bad.json'), JSON.stringify({ benchmarks: ['hetero3'], methods: [{ method: 'fs', keep: [1.5] }] }));
  assertOneLineError(fsmtl('experiment', join(cfg, 'bad.json')), /^fsmtl: error: .*bad\.json: methods\[0\]\.keep\[0\]: keep ratio must be in \(0, 1\]$/);
  writeFileSync(join(cfg, 'unknown.json'), JSON.stringify({ benchmarks: ['hetero3'], methods: [{ method: 'fancy' }] }));
  assertOneLineError(fsmtl('experiment', join(cfg, 'unknown.json')), /unknown\.json \(FANCY on hetero3\): methods\[0\]\.method: /);
  assertOneLineError(fsmtl('experiment', join(cfg, 'missing.json')), /cannot read experiment config .*missing\.json/);
  assertOneLineError(fsmtl('experiment', join(cfg, 'bad.json'), '--jobs', '0'), /--jobs must be a positive integer, got '0'/);
  assertOneLineError(fsmtl('report', join(cfg, 'nothing-here')), /no such folder: .*nothing-here/);
  assertOneLineError(fsmtl('report', dir, '--against', 'NOPE', '--no-figures'), /--against 'NOPE' is not a method of .* \(its methods: .*FS/);
});
