import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configHash, defaultLabel, loadExperiment, paperOrder, parseExperiment, pLabel, runKey } from '../../src/experiments/spec.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { FsmtlError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const base = { benchmarks: ['hetero3'], seeds: [0, 1], keep: [0.3, 0.9], methods: [{ method: 'stl' }, { method: 'mtl', weighting: 'cagrad' }, { method: 'fs' }] };

function fails(input: unknown, pattern: RegExp) {
  assert.throws(
    () => parseExperiment(input, 'exp.json'),
    (e: Error) => {
      assert.ok(e instanceof FsmtlError, `FsmtlError expected, got ${e.name}: ${e.message}`);
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/, 'one line');
      return true;
    },
  );
}

test('expansion: dense methods once, methods with a keep ratio once per p, seed-major order', () => {
  const e = parseExperiment(base, 'exp.json');
  assert.equal(e.name, 'exp');
  assert.deepEqual(e.rows, [
    { label: 'STL', method: 'stl', weighting: 'ew' },
    { label: 'CAGrad', method: 'mtl', weighting: 'cagrad' },
    { label: 'FS', method: 'fs', weighting: 'ew' },
  ]);
  assert.equal(e.runs.length, 2 * (1 + 1 + 2));
  assert.deepEqual(
    e.runs.map((r) => `${r.label}:${r.keep}:${r.seed}`),
    ['STL:null:0', 'CAGrad:null:0', 'FS:0.3:0', 'FS:0.9:0', 'STL:null:1', 'CAGrad:null:1', 'FS:0.3:1', 'FS:0.9:1'],
  );
  const fs09 = e.runs.find((r) => r.label === 'FS' && r.keep === 0.9 && r.seed === 1)!;
  assert.equal(fs09.config.keep, 0.9);
  assert.equal(fs09.config.seed, 1);
  assert.match(fs09.key, /^hetero3-fs-p0\.9-s1-[0-9a-f]{12}$/);
  assert.match(e.runs[1].key, /^hetero3-mtl-cagrad-s0-[0-9a-f]{12}$/);
  assert.ok(e.output.endsWith('/runs/exp'));
});

test('shared and per-method train settings merge, fs options field by field', () => {
  const e = parseExperiment(
    { ...base, train: { epochs: 4, fs: { warmupEpochs: 1, samples: 32 } }, methods: [{ method: 'fs', keep: [0.5], train: { fs: { samples: 64 }, lr: 0.01 } }, { method: 'mtl' }] },
    'exp.json',
  );
  const fs = e.runs.find((r) => r.method === 'fs')!.config;
  assert.deepEqual([fs.epochs, fs.lr, fs.keep, fs.fs.warmupEpochs, fs.fs.samples], [4, 0.01, 0.5, 1, 64]);
  const mtl = e.runs.find((r) => r.method === 'mtl')!.config;
  assert.deepEqual([mtl.epochs, mtl.lr, mtl.fs.samples], [4, 1e-3, 32]);
});

test('the run key: stable, independent of dataDir, changed by anything that changes the result', () => {
  const c = parseTrainConfig({ method: 'fs', keep: 0.3, epochs: 4 });
  assert.equal(runKey(c), runKey(parseTrainConfig({ epochs: 4, keep: 0.3, method: 'fs' })));
  assert.equal(configHash(c), configHash({ ...c, dataDir: '/elsewhere' }));
  assert.notEqual(configHash(c), configHash({ ...c, epochs: 5 }));
  assert.notEqual(configHash(c), configHash({ ...c, fs: { ...c.fs, samples: 1 } }));
  assert.notEqual(runKey(c), runKey({ ...c, seed: 1 }));
});

test('labels and the p column follow the paper', () => {
  assert.equal(defaultLabel('mtl'), 'MTL');
  assert.equal(defaultLabel('mtl', 'nash'), 'Nash-MTL');
  assert.equal(defaultLabel('mtl', 'mgda-ub'), 'MGDA-UB');
  assert.equal(defaultLabel('fs', 'pcgrad'), 'FS+PCGrad');
  assert.equal(pLabel('mtl', null), '1.0');
  assert.equal(pLabel('stl', null), '-');
  assert.equal(pLabel('se', null), '-');
  assert.equal(pLabel('rs', 0.9), '0.9');
});

test('validation errors name the file and the field', () => {
  fails({ ...base, seeds: [0, 0] }, /^exp\.json: seeds\[1\]: duplicate seed 0/);
  fails({ ...base, benchmarks: ['cifar'] }, /exp\.json \(STL on cifar\): benchmarks \(cifar\): /);
  fails({ ...base, methods: [{ method: 'nope' }] }, /exp\.json \(NOPE on hetero3\): methods\[0\]\.method: /);
  fails({ ...base, methods: [{ method: 'mtl', weighting: 'bogus' }] }, /methods\[0\]\.weighting: /);
  fails({ ...base, methods: [{ method: 'mtl', keep: [0.5] }] }, /methods\[0\]\.keep: mtl has no keep ratio/);
  fails({ ...base, keep: [0] }, /^exp\.json: keep\[0\]: keep ratio must be in \(0, 1\]/);
  fails({ ...base, train: { epochz: 3 } }, /exp\.json \(STL on hetero3\): train\.epochz: unknown field/);
  fails({ ...base, methods: [{ method: 'mtl', train: { fs: { sample: 3 } } }] }, /methods\[0\]\.train\.fs\.sample: unknown field/);
  fails({ ...base, train: { seed: 3 } }, /^exp\.json: train\.seed: set by the experiment/);
  fails({ ...base, methods: [{ method: 'fs', train: { epochs: 2, fs: { warmupEpochs: 2 } } }] }, /methods\[0\]\.train\.epochs: fs applies its masks after 2 warm-up/);
  fails({ ...base, methods: [{ method: 'mtl' }, { method: 'mtl', weighting: 'ew' }] }, /methods\[1\]\.label: 'MTL' is also the label of methods\[0\]/);
  fails({ ...base, methods: [{ method: 'mtl' }, { method: 'mtl', label: 'EW' }] }, /'MTL' and 'EW' resolve to the same training run/);
  fails({ ...base, extra: 1 }, /^exp\.json: extra: unknown field/);
  fails({ ...base, methods: [{ method: 'mtl', lable: 'x' }] }, /^exp\.json: methods\[0\]\.lable: unknown field/);
  fails({ benchmarks: ['hetero3'] }, /^exp\.json: methods: /);
});

test('config files: missing, not JSON, paths relative to the file', () => {
  const dir = tempDir();
  assert.throws(() => loadExperiment(join(dir, 'missing.json')), /cannot read experiment config .*missing\.json: ENOENT/);
  writeFileSync(join(dir, 'broken.json'), '{"benchmarks": [');
  assert.throws(() => loadExperiment(join(dir, 'broken.json')), /broken\.json is not valid JSON/);
  writeFileSync(join(dir, 'ok.json'), JSON.stringify({ ...base, output: 'out', reference: '../tables.json' }));
  const e = loadExperiment(join(dir, 'ok.json'));
  assert.equal(e.output, join(dir, 'out'));
  assert.equal(e.reference, join(dir, '..', 'tables.json'));
  assert.equal(e.name, 'ok');
});

test("the checked-in paper-table1 config is valid and reproduces Table 1's rows", () => {
  const e = loadExperiment(join(root, 'experiments/paper-table1.json'));
  assert.deepEqual(e.benchmarks, ['hetero3', 'multimnist']);
  assert.deepEqual(e.seeds, [0, 1, 2]);
  const labels = e.rows.map((r) => r.label);
  for (const l of ['STL', 'MTL', 'GradNorm', 'MGDA-UB', 'CAGrad', 'RLW', 'RGW', 'Nash-MTL', 'SE', 'TR', 'MR', 'RS', 'FS', 'EFS']) assert.ok(labels.includes(l), l);
  assert.ok(e.runs.length <= 130, `${e.runs.length} runs`);
  assert.equal(e.referenceKeys.hetero3, 'dkl-mnist');
  assert.ok(e.reference?.endsWith('shared/paper/tables.json'));
  assert.ok(e.output.endsWith('runs/paper-table1'));
  assert.ok(e.reportDir?.endsWith('docs/paper-table1'));
});

test('select: validation by default, test (the paper\'s protocol) by name, nothing else', () => {
  assert.equal(parseExperiment(base, 'exp.json').select, 'validation');
  assert.equal(parseExperiment({ ...base, select: 'test' }, 'exp.json').select, 'test');
  fails({ ...base, select: 'train' }, /exp\.json: select: /);
});

test('registries: methods, weightings and benchmarks are listed once, and configs, labels and p columns follow them', () => {
  const e = parseExperiment({ benchmarks: ['morpho'], keep: [0.5], methods: [{ method: 'se' }, { method: 'tr' }, { method: 'fs', weighting: 'nash' }] }, 'exp.json');
  assert.deepEqual(e.rows.map((r) => r.label), ['SE', 'TR', 'FS+Nash-MTL']);
  assert.deepEqual(e.runs.filter((r) => r.seed === 0).map((r) => pLabel(r.method, r.keep)), ['-', '0.5', '0.5']);
  fails({ benchmarks: ['morpho'], methods: [{ method: 'stl', weighting: 'pcgrad' }] }, /stl shares no parameters/);
  fails({ benchmarks: ['hetero3'], methods: [{ method: 'mtl' }], train: { attributes: ['Smiling'] } }, /benchmark 'hetero3' has no use for attributes/);
  fails({ benchmarks: ['cifar'], methods: [{ method: 'mtl' }] }, /benchmarks \(cifar\)/);
});

test('architectures: a method entry names one; labels, run keys and row order follow it; hard sharing keeps its old hashes', () => {
  const e = parseExperiment({
    benchmarks: ['hetero3'],
    seeds: [0],
    methods: [{ method: 'mtl' }, { method: 'mtl', architecture: 'mmoe' }, { method: 'fs', architecture: 'mmoe' }, { method: 'mtl', weighting: 'pcgrad', architecture: 'cgc' }],
  });
  assert.deepEqual(e.rows.map((r) => r.label), ['MTL', 'MMoE', 'FS (MMoE)', 'CGC+PCGrad']);
  const mmoe = e.runs.find((r) => r.label === 'MMoE')!;
  assert.equal(mmoe.config.architecture, 'mmoe');
  assert.match(mmoe.key, /^hetero3-mtl-mmoe-s0-[0-9a-f]{12}$/);
  assert.ok(paperOrder('fs', 'ew', 'hps') < paperOrder('mtl', 'ew', 'mmoe'), 'hard-sharing rows first');
  // A config without the architecture fields (stored before they existed) hashes as its hps equivalent.
  const mtl = e.runs.find((r) => r.label === 'MTL')!.config;
  const { architecture: _a, architectureOptions: _o, ...old } = mtl;
  assert.equal(configHash(old as typeof mtl), configHash(mtl));
  assert.notEqual(configHash({ ...mtl, architecture: 'mmoe' }), configHash(mtl));
  assert.throws(() => parseExperiment({ benchmarks: ['hetero3'], methods: [{ method: 'mtl' }], train: { architecture: 'mmoe' } }), /train\.architecture: set by the experiment/);
  assert.throws(() => parseExperiment({ benchmarks: ['hetero3'], methods: [{ method: 'stl', architecture: 'mmoe' }] }), /methods\[0\]\.architecture: stl shares no network/);
});
