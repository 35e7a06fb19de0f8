// Real (tiny) training runs in worker processes: parallel runs, stored results, failures, resume,
// determinism, and an interrupted `fsmtl experiment` that is run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planExperiment, runPending, type RunnerEvent } from '../../src/experiments/runner.js';
import { parseExperiment } from '../../src/experiments/spec.js';
import { readStore, runFile } from '../../src/experiments/store.js';
import { tempDir } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const tiny = { trainPerTask: 200, testPerTask: 100, hidden: [16], epochs: 2, batchSize: 50, lr: 5e-3, fs: { warmupEpochs: 1, samples: 32 } };

test('runs go to worker processes in parallel; results and failures are stored; a second pass has nothing to do', async () => {
  const dir = tempDir();
  const e = parseExperiment(
    {
      benchmarks: ['hetero3'],
      seeds: [0, 1],
      keep: [0.5],
      train: tiny,
      methods: [{ method: 'mtl' }, { method: 'fs' }, { method: 'mtl', label: 'Diverging', train: { lr: 1e30 } }],
      output: dir,
    },
    join(dir, 'exp.json'),
  );
  const events: RunnerEvent[] = [];
  const summary = await runPending(e, planExperiment(e).pending, { jobs: 2, onEvent: (ev) => events.push(ev) });
  assert.deepEqual(summary, { done: 4, failed: 2, interrupted: false });
  assert.deepEqual(new Set(events.filter((x) => x.type === 'start').map((x) => x.slot)), new Set([0, 1]), 'both workers trained');
  assert.ok(events.some((x) => x.type === 'progress'), 'progress reaches the parent');
  const failed = events.filter((x) => x.type === 'failed');
  assert.equal(failed.length, 2);
  for (const f of failed) assert.match((f as { error: string }).error, /training loss became (NaN|Infinity)/);

  const store = readStore(dir);
  assert.equal(store.results.size, 4);
  assert.equal(store.failed.size, 2);
  assert.deepEqual(store.corrupt, []);
  assert.ok(readdirSync(join(dir, 'runs')).every((f) => /\.jsonl?$/.test(f)), 'no temporary files left (results and their run logs only)');

  const again = planExperiment(e);
  assert.deepEqual([again.pending.length, again.stored.length, again.failed.length], [0, 4, 2]);
  assert.deepEqual(await runPending(e, again.pending, { jobs: 2 }), { done: 0, failed: 0, interrupted: false });

  // Same seed and config, trained again in a fresh worker: the same numbers.
  const fs1 = e.runs.find((r) => r.method === 'fs' && r.seed === 1)!;
  const before = store.results.get(fs1.key)!;
  rmSync(runFile(dir, fs1.key));
  assert.deepEqual(await runPending(e, planExperiment(e).pending, { jobs: 1, threads: 1 }), { done: 1, failed: 0, interrupted: false });
  const after = readStore(dir).results.get(fs1.key)!;
  assert.deepEqual(after.perTask, before.perTask);
  assert.deepEqual(after.masks, before.masks);
});

function cli(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('fsmtl experiment: killed after its first run, then run again, it finishes and writes the report', { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const config = join(dir, 'exp.json');
  const longer = { ...tiny, trainPerTask: 1000, hidden: [64], epochs: 3 };
  writeFileSync(config, JSON.stringify({ benchmarks: ['hetero3'], seeds: [0, 1, 2], keep: [0.5], train: longer, methods: [{ method: 'mtl' }, { method: 'fs' }], output: 'out' }));

  // First pass: stop it (SIGTERM, as `kill` does) as soon as one run is reported done.
  const first = cli(['experiment', config, '--jobs', '1']);
  let err = '';
  const code = await new Promise<number | null>((resolve) => {
    first.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/\[1\/6\]/.test(err)) first.kill('SIGTERM');
    });
    first.on('exit', (c) => resolve(c));
  });
  assert.notEqual(code, 0, err);
  const m = err.match(/interrupted: (\d) of 6 runs are stored in .*; run the same command again to continue/);
  assert.ok(m, err);
  const stored = Number(m[1]);
  assert.ok(stored >= 1 && stored < 6, err);
  const out = join(dir, 'out');
  const store = readStore(out);
  assert.equal(store.results.size, stored);
  assert.deepEqual(store.corrupt, [], 'no half-written result');
  assert.ok(readdirSync(join(out, 'runs')).every((f) => /\.jsonl?$/.test(f)), 'no temporary files left (results and their run logs only)');
  assert.equal(existsSync(join(out, 'report.md')), false);

  // Second pass: the stored runs are skipped, the rest run, the report and figures are written.
  const second = cli(['experiment', config, '--jobs', '2']);
  let err2 = '';
  let out2 = '';
  second.stderr.on('data', (d: Buffer) => (err2 += d.toString()));
  second.stdout.on('data', (d: Buffer) => (out2 += d.toString()));
  const code2 = await new Promise<number | null>((resolve) => second.on('exit', resolve));
  assert.equal(code2, 0, err2);
  assert.match(err2, new RegExp(`${stored} stored, 0 failed before, ${6 - stored} to run with 2 process\\(es\\)`));
  assert.match(err2, new RegExp(`${6 - stored} run\\(s\\) finished, 0 failed; 6 of 6 stored`));
  assert.match(out2, /Report: .*report\.md/);
  assert.equal(readStore(out).results.size, 6);
  for (const f of ['report.md', 'report.csv', 'per-task.csv', 'figures/hetero3-per-task.svg', 'figures/hetero3-per-task.png', 'figures/hetero3-keep-ratio.svg', 'figures/hetero3-mask-overlap.png']) {
    assert.ok(existsSync(join(out, f)), f);
  }
});
