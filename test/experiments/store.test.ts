import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planExperiment } from '../../src/experiments/runner.js';
import { parseExperiment } from '../../src/experiments/spec.js';
import { failedFile, readStore, removeStaleTemporaryFiles, runFile, storedOutcomes, writeManifest, writeRunFailure, writeRunResult } from '../../src/experiments/store.js';
import { fakeResult, tempDir } from './helpers.js';

function experimentIn(dir: string) {
  return parseExperiment({ benchmarks: ['hetero3'], seeds: [0, 1], methods: [{ method: 'mtl' }, { method: 'fs' }], output: dir }, join(dir, 'exp.json'));
}

test('a stored run is one whole JSON file, written by rename (no temporary file left)', () => {
  const dir = tempDir();
  const e = experimentIn(dir);
  const run = e.runs[0];
  writeRunResult(dir, run.key, fakeResult(run.config, 0.8));
  assert.deepEqual(readdirSync(join(dir, 'runs')), [`${run.key}.json`]);
  const data = JSON.parse(readFileSync(runFile(dir, run.key), 'utf8'));
  assert.equal(data.status, 'ok');
  assert.equal(data.key, run.key);
  assert.equal(data.result.average.f1, 0.8);
  assert.equal(readStore(dir).results.get(run.key)?.average.f1, 0.8);
});

test('resume: stored runs are skipped, damaged files are redone, failures skipped unless retried', () => {
  const dir = tempDir();
  const e = experimentIn(dir);
  assert.equal(e.runs.length, 4);
  assert.equal(planExperiment(e).pending.length, 4);

  const [a, b, c, d] = e.runs;
  writeRunResult(dir, a.key, fakeResult(a.config, 0.8));
  writeRunResult(dir, b.key, fakeResult(b.config, 0.7));
  // A half-written file (as a non-atomic writer killed mid-write would leave) and one holding another run.
  writeFileSync(runFile(dir, c.key), JSON.stringify({ kind: 'fsmtl-run', version: 1, key: c.key, status: 'ok', result: fakeResult(c.config, 0.6) }).slice(0, 200));
  writeFileSync(runFile(dir, d.key), readFileSync(runFile(dir, a.key), 'utf8'));
  // A temporary file of an interrupted atomic write is ignored.
  writeFileSync(`${runFile(dir, c.key)}.1234.tmp`, '{"partial');

  let plan = planExperiment(e);
  assert.deepEqual(plan.stored.map((r) => r.key), [a.key, b.key]);
  assert.deepEqual(plan.pending.map((r) => r.key), [c.key, d.key]);
  assert.equal(plan.corrupt.length, 2);
  assert.match(plan.corrupt.find((x) => x.file.includes(c.key))!.reason, /not valid JSON/);
  assert.match(plan.corrupt.find((x) => x.file.includes(d.key))!.reason, /holds run '.*', not '/);

  writeRunResult(dir, c.key, fakeResult(c.config, 0.6));
  writeRunFailure(dir, d.key, d.config, 'the training loss became NaN');
  plan = planExperiment(e);
  assert.deepEqual(plan.pending, []);
  assert.equal(plan.failed.length, 1);
  assert.equal(plan.failed[0].failure.error, 'the training loss became NaN');
  assert.deepEqual(planExperiment(e, { retryFailed: true }).pending.map((r) => r.key), [d.key]);

  // A later success replaces the failure record.
  writeRunResult(dir, d.key, fakeResult(d.config, 0.5));
  assert.equal(existsSync(failedFile(dir, d.key)), false);
  assert.equal(planExperiment(e).stored.length, 4);
});

test('a result whose config does not match its file name is not trusted', () => {
  const dir = tempDir();
  const e = experimentIn(dir);
  const [a, b] = e.runs;
  writeRunResult(dir, a.key, fakeResult(b.config, 0.8));
  assert.match(readStore(dir).corrupt[0].reason, /stored config does not match/);
});

test('outcomes: labels and rows from the manifest, or the paper names without one', () => {
  const dir = tempDir();
  const e = parseExperiment(
    { benchmarks: ['hetero3'], seeds: [0], methods: [{ method: 'fs', label: 'Fisher', keep: [0.5] }, { method: 'mtl', weighting: 'cagrad' }], output: dir },
    join(dir, 'exp.json'),
  );
  for (const r of e.runs) writeRunResult(dir, r.key, fakeResult(r.config, 0.5));
  const without = storedOutcomes(dir);
  assert.equal(without.manifest, null);
  assert.deepEqual(without.outcomes.map((o) => [o.label, o.row, o.keep]).sort(), [['CAGrad', 0, null], ['FS', 1, 0.5]]);
  writeManifest(dir, e);
  const withManifest = storedOutcomes(dir);
  assert.deepEqual(withManifest.outcomes.map((o) => [o.label, o.row, o.keep]), [['Fisher', 0, 0.5], ['CAGrad', 1, null]]);
  assert.throws(() => storedOutcomes(join(dir, 'nope')), /no such folder/);
});

test("temporary files of interrupted writes are removed, unless their writer is still alive", () => {
  const dir = tempDir();
  const e = experimentIn(dir);
  const [a, b] = e.runs;
  writeRunResult(dir, a.key, fakeResult(a.config, 0.8));
  const dead = `${runFile(dir, b.key)}.999999999.tmp`; // no such process
  const alive = `${runFile(dir, b.key)}.${process.pid}.tmp`;
  writeFileSync(dead, '{"half');
  writeFileSync(alive, '{"half');
  assert.equal(removeStaleTemporaryFiles(dir), 1);
  assert.equal(existsSync(dead), false);
  assert.equal(existsSync(alive), true);
  assert.equal(existsSync(runFile(dir, a.key)), true);
});
