// A user's own data in experiments: a manifest path as a benchmark, its content hash in the run hash,
// and a run that refuses to train on data that changed after it was planned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTraining } from '../../src/experiments/run.js';
import { parseExperiment } from '../../src/experiments/spec.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { tempDir } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const example = join(root, 'examples/tabular');

function copyExample(): string {
  const dir = tempDir();
  cpSync(example, join(dir, 'tabular'), { recursive: true });
  return join(dir, 'tabular');
}

const plan = (dir: string) =>
  parseExperiment({ benchmarks: ['hetero3', 'tabular/tasks.json'], seeds: [0], keep: [0.5], methods: [{ method: 'mtl' }, { method: 'fs' }] }, join(dir, '..', 'exp.json'));

test('a manifest path is a benchmark of experiments: named by the manifest, hashed by its content, not its place', () => {
  const a = copyExample();
  const b = copyExample();
  const ea = plan(a);
  assert.deepEqual(ea.benchmarks, ['hetero3', 'plants']);
  const runs = ea.runs.filter((r) => r.benchmark === 'plants');
  assert.equal(runs.length, 2);
  assert.equal(runs[0].config.benchmark, 'data');
  assert.match(runs[0].config.dataHash!, /^[0-9a-f]{16}$/);
  // Another folder with the same bytes: the same runs (a copied store stays valid).
  assert.deepEqual(plan(b).runs.map((r) => r.key), ea.runs.map((r) => r.key));
  // One changed label: new runs for that data, the same runs for hetero3.
  const csv = join(b, 'plants.csv');
  writeFileSync(csv, readFileSync(csv, 'utf8').replace(/\n([^\n]*?),(\d+(\.\d+)?)\n/, (m, row, v) => `\n${row},${Number(v) + 1}\n`));
  const eb = plan(b);
  assert.notDeepEqual(eb.runs.filter((r) => r.benchmark === 'plants').map((r) => r.key), runs.map((r) => r.key));
  assert.deepEqual(eb.runs.filter((r) => r.benchmark === 'hetero3').map((r) => r.key), ea.runs.filter((r) => r.benchmark === 'hetero3').map((r) => r.key));
});

test('data and benchmark exclude each other; a run refuses data that changed after it was planned', async () => {
  assert.throws(() => parseTrainConfig({ benchmark: 'hetero3', data: 'x.json' }), /config\.data: data \(a manifest\) and benchmark 'hetero3' exclude each other/);
  assert.throws(() => parseTrainConfig({ benchmark: 'data' }), /config\.benchmark: benchmark 'data' needs a data manifest/);
  const dir = copyExample();
  const e = plan(dir);
  const run = e.runs.find((r) => r.benchmark === 'plants')!;
  writeFileSync(join(dir, 'plants.csv'), readFileSync(join(dir, 'plants.csv'), 'utf8') + '\n');
  await assert.rejects(runTraining({ ...run.config, epochs: 1 }), /the data changed since this run was planned/);
});

test('the worked example trains: every task of examples/tabular beats a constant prediction', async () => {
  const r = await runTraining({ data: join(example, 'tasks.json'), method: 'mtl', epochs: 15, hidden: [64, 64], lr: 3e-3, batchSize: 32 });
  assert.equal(r.benchmark.name, 'plants');
  assert.deepEqual(r.perTask.map((t) => t.kind), ['multiclass', 'binary', 'regression']);
  assert.match(r.benchmark.dataHash!, /^[0-9a-f]{16}$/);
  const [species, flowering, growth] = r.perTask;
  assert.ok(species.metrics.accuracy > 0.6, `species ${species.metrics.accuracy}`);
  assert.ok(flowering.metrics.accuracy > 0.6, `flowering ${flowering.metrics.accuracy}`);
  assert.ok(growth.metrics.r2 > 0.2, `growth R² ${growth.metrics.r2}`);
});
