import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDataDir } from '../../src/data/index.js';
import { EXTRACTOR_NAMES } from '../../src/model/extractor.js';
import { parseRunLog } from '../../src/experiments/run-log.js';

const root = new URL('../..', import.meta.url).pathname;

function fsmtl(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A user error: non-zero exit, exactly one line on stderr, no stack trace. */
function assertOneLineError(r: ReturnType<typeof fsmtl>, pattern: RegExp) {
  assert.notEqual(r.code, 0, 'exit code must be non-zero');
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.err}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

const tiny = ['--train-per-task', '100', '--test-per-task', '100', '--epochs', '1', '--warmup', '0', '--batch-size', '50', '--quiet'];

test('--help works for every command', () => {
  for (const args of [['--help'], ['train', '--help'], ['demo', '--help'], ['info', '--help']]) {
    const r = fsmtl(...args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.out, /Usage: fsmtl/);
  }
  assert.match(fsmtl('train', '--help').out, /--keep <p>/);
  // --arch offers the extractor registry's names.
  assert.match(fsmtl('train', '--help').out.replace(/\s+/g, ' '), new RegExp(`--arch <arch> shared extractor \\(choices: ${EXTRACTOR_NAMES.map((n) => `"${n}"`).join(', ')}\\)`));
});

test('unknown method or benchmark', () => {
  assertOneLineError(fsmtl('train', '--method', 'nope'), /argument 'nope' is invalid.*stl, mtl, se, tr, mr, rs, fs, efs/);
  assertOneLineError(fsmtl('train', '--benchmark', 'cifar'), /'cifar' is invalid/);
  assertOneLineError(fsmtl('demo', '--methods', 'fs,bogus'), /\(BOGUS on hetero3\): methods\[1\]\.method: Invalid option: expected one of "stl"/);
});

test('keep ratio outside (0, 1] and non-numbers', () => {
  assertOneLineError(fsmtl('train', '--keep', '0', ...tiny), /--keep: keep ratio must be in \(0, 1\]/);
  assertOneLineError(fsmtl('train', '--keep', '1.5', ...tiny), /--keep: /);
  assertOneLineError(fsmtl('train', '--keep', 'abc'), /--keep must be a number, got 'abc'/);
  assertOneLineError(fsmtl('train', '--epochs', '2.5'), /--epochs must be an integer/);
});

test('bad config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-cfg-'));
  writeFileSync(join(dir, 'broken.json'), '{"keep": 0.3,');
  writeFileSync(join(dir, 'wrong.json'), '{"keep": 0.3, "epochz": 3}');
  assertOneLineError(fsmtl('train', '--config', join(dir, 'broken.json')), /broken\.json is not valid JSON/);
  assertOneLineError(fsmtl('train', '--config', join(dir, 'wrong.json')), /epochz/);
  assertOneLineError(fsmtl('train', '--config', join(dir, 'missing.json')), /cannot read config .*missing\.json/);
});

test('missing and corrupt data are named', () => {
  const empty = mkdtempSync(join(tmpdir(), 'fsmtl-empty-'));
  assertOneLineError(fsmtl('train', '--data-dir', empty, ...tiny), /fsmtl: error: .*(MNIST|mnist).*/);

  // A user's copy in the standard layout, with the MNIST training images truncated.
  const data = resolveDataDir();
  const copy = mkdtempSync(join(tmpdir(), 'fsmtl-corrupt-'));
  for (const [folder, files] of Object.entries({
    mnist: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
    'fashion-mnist': ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
    kmnist: ['kmnist-test-imgs.npz', 'kmnist-test-labels.npz'],
  })) {
    mkdirSync(join(copy, folder));
    for (const f of files) copyFileSync(join(data, folder, f), join(copy, folder, f));
  }
  const victim = join(copy, 'mnist', 'train-images-idx3-ubyte.gz');
  writeFileSync(victim, readFileSync(victim).subarray(0, 5000));
  assertOneLineError(fsmtl('train', '--data-dir', copy, ...tiny), /train-images-idx3-ubyte\.gz/);
});

test('a short training run prints the table and writes a complete JSON result', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'fsmtl-out-')), 'sub', 'result.json');
  const r = fsmtl('train', '--method', 'fs', '--warmup', '0', '--keep', '0.5', '--out', out, ...tiny);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /FS \(p=0\.5\)\s+digits/);
  assert.match(r.out, /average/);
  assert.ok(existsSync(out));
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(json.config.method, 'fs');
  assert.equal(json.config.keep, 0.5);
  assert.equal(json.perTask.length, 3);
  assert.ok(json.masks.density.every((d: number) => Math.abs(d - 0.5) < 1e-4));
  assert.ok(json.timings.msPerStep > 0);
  assert.ok(json.memory.peakRssBytes > 0);
});

test('demo is a small experiment on the same runner and store: report, verdict, next steps; stored runs are reused', () => {
  const out = mkdtempSync(join(tmpdir(), 'fsmtl-demo-'));
  const args = ['demo', '--benchmark', 'hetero3,morpho', '--methods', 'mtl,fs', '--train-per-task', '150', '--train-size', '150', '--test-per-task', '60'];
  const r = fsmtl(...args, '--epochs', '3', '--warmup', '1', '--jobs', '2', '--out-dir', out, '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /## hetero3 \(digits, kuzushiji, fashion\)[\s\S]*\| MTL \| 1\.0 \|[\s\S]*\| FS \| 0\.3 \|/);
  assert.match(r.out, /## morpho \(digit, thickness, slant, thick, right_slant\)[\s\S]*thickness MAE ↓/);
  assert.match(r.out, /FS \(at keep ratio 0\.3, chosen on validation\) has Avg Rank/);
  assert.match(r.out, /Next:\n.*demo --seeds 0,1,2/);
  assert.ok(existsSync(join(out, 'report.md')) && existsSync(join(out, 'experiment.json')));
  // The same command again trains nothing: the runs are in the store.
  const again = fsmtl(...args, '--epochs', '3', '--warmup', '1', '--out-dir', out);
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /4 stored, 0 failed before, 0 to run/);
  assertOneLineError(fsmtl('demo', '--seeds', 'a,b'), /--seeds must be a comma-separated list of non-negative integers, got 'a'/);
  assertOneLineError(fsmtl('demo', '--seed', '3'), /demo takes --seeds \(a list\), not --seed/);
});

test('never silently wrong: config files that are not objects, non-object blocks, hex numbers, diverging learning rates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-cfg-'));
  for (const [name, text, pattern] of [
    ['array.json', '[]', /array\.json must hold a JSON object of settings, not an array/],
    ['true.json', 'true', /true\.json must hold a JSON object of settings, not boolean/],
    ['null.json', 'null', /null\.json must hold a JSON object of settings, not null/],
    ['fs5.json', '{"fs": 5}', /fs5\.json: fs: /],
    ['fsabc.json', '{"fs": "abc"}', /fsabc\.json: fs: /],
    ['lr.json', '{"lr": "x", "fs": {"samples": 0}}', /lr\.json: lr: .*; .*lr\.json: fs\.samples: /],
    ['huge.json', '{"hidden": [200000, 200000], "trainPerTask": 100, "testPerTask": 100}', /hidden \[200000, 200000\] gives [\d,]{14} extractor parameters, more than fsmtl allocates/],
  ] as const) {
    writeFileSync(join(dir, name), text);
    assertOneLineError(fsmtl('train', '--config', join(dir, name), '--quiet'), pattern);
  }
  assert.doesNotMatch(fsmtl('train', '--config', join(dir, 'fsabc.json'), '--quiet').err, /"0"/, 'no keys of a spread string');
  assertOneLineError(fsmtl('train', '--epochs', '0x10'), /--epochs must be an integer, got '0x10'/);
  // An error names what set the value: the flag, over the file's field.
  assertOneLineError(fsmtl('train', '--config', join(dir, 'lr.json'), '--lr', '0'), /error: --lr: .*; .*lr\.json: fs\.samples: /);
  assertOneLineError(fsmtl('train', '--epochs', '1', '--warmup', '3'), /error: --epochs: fs applies its masks after 3 warm-up epoch/);
  assertOneLineError(fsmtl('train', '--keep', '1e-9', ...tiny), /keep ratio 1e-9 keeps .* of the [\d,]+ shared parameters, less than one per layer/);
  assertOneLineError(fsmtl('train', '--lr', '1e6', ...tiny.filter((a) => a !== '--warmup' && a !== '0'), '--method', 'mtl'), /task '\w+': training diverged at epoch 1: its mean loss .* is more than 10 times that of a constant prediction .*; the learning rate 1000000 is likely too large/);
});

test('an unwritable --out or --save is named before any training', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-out-'));
  writeFileSync(join(dir, 'file'), 'x');
  const t0 = Date.now();
  assertOneLineError(fsmtl('train', ...tiny, '--out', join(dir, 'file', 'r.json')), /cannot write .*file\/r\.json: (ENOTDIR|EEXIST)/);
  assertOneLineError(fsmtl('train', ...tiny, '--save', dir), /cannot write .*: it is a folder/);
  assert.ok(Date.now() - t0 < 60_000);
});

test('train --log and --tensorboard: a run log per epoch and the result, TensorBoard events; a failed run logs its failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-log-'));
  const args = ['--train-per-task', '100', '--test-per-task', '100', '--epochs', '3', '--warmup', '1', '--batch-size', '50', '--quiet'];
  const r = fsmtl('train', ...args, '--log', join(dir, 'run.jsonl'), '--tensorboard', join(dir, 'tb'), '--out', join(dir, 'r.json'));
  assert.equal(r.code, 0, r.err);
  const log = parseRunLog(readFileSync(join(dir, 'run.jsonl'), 'utf8'), 'run.jsonl');
  assert.deepEqual(log.map((x) => x.type), ['epoch', 'epoch', 'epoch', 'result']);
  const result = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
  const last = log.at(-1) as { test: Record<string, Record<string, number>> };
  assert.deepEqual(last.test, Object.fromEntries(result.perTask.map((t: { task: string; metrics: object }) => [t.task, t.metrics])));
  const events = /TensorBoard events written to (\S+)/.exec(r.out)?.[1];
  assert.ok(events && existsSync(events) && readFileSync(events).length > 100, r.out);
  assert.match(events, /tb\/hetero3-fs-p0\.3-s0-[0-9a-f]{12}\/events\.out\.tfevents\./);
  // A diverging run: the error as usual, and the log ends with it.
  const bad = fsmtl('train', ...args, '--method', 'mtl', '--lr', '1e6', '--log', join(dir, 'bad.jsonl'));
  assert.notEqual(bad.code, 0);
  const failed = parseRunLog(readFileSync(join(dir, 'bad.jsonl'), 'utf8'), 'bad.jsonl').at(-1) as { type: string; error: string };
  assert.equal(failed.type, 'failed');
  assert.match(failed.error, /training diverged at epoch 1/);
  // An unwritable log is named before any training.
  writeFileSync(join(dir, 'file'), 'x');
  assertOneLineError(fsmtl('train', ...args, '--log', join(dir, 'file', 'x.jsonl')), /cannot write .*file\/x\.jsonl/);
});
