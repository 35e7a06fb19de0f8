// Named FS presets: the paper's literal reading equals the defaults, a preset only fills what a config leaves
// unset, and misuse is reported with the field's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainConfig, trainConfigSchema } from '../../src/train/config.js';
import { FS_PRESET_NAMES, FS_PRESETS, type FsPresetName } from '../../src/train/fs-presets.js';
import { parseExperiment } from '../../src/experiments/spec.js';
import { runTraining } from '../../src/experiments/run.js';
import { smallHetero3 } from '../fixtures/configs.js';

test("preset 'paper' resolves to the defaults, i.e. the literal reading", () => {
  const plain = parseTrainConfig({ method: 'fs' });
  const paper = parseTrainConfig({ method: 'fs', preset: 'paper' });
  assert.deepEqual(paper.fs, plain.fs);
  assert.equal(paper.keep, plain.keep);
  assert.equal(paper.preset, 'paper');
});

for (const name of FS_PRESET_NAMES) {
  test(`preset '${name}': every value it sets reaches the config, and the config's own values win`, () => {
    const preset = FS_PRESETS[name];
    const c = parseTrainConfig({ method: 'fs', preset: name });
    assert.equal(c.keep, preset.keep);
    for (const [k, v] of Object.entries(preset.fs)) assert.deepEqual(c.fs[k as keyof typeof c.fs], v, `fs.${k}`);
    const own = parseTrainConfig({ method: 'efs', preset: name, keep: 0.55, fs: { warmupEpochs: 1, smoothing: 0.25 } });
    assert.equal(own.keep, 0.55);
    assert.equal(own.fs.warmupEpochs, 1);
    assert.equal(own.fs.smoothing, 0.25);
  });
}

test('the exported trainConfigSchema expands a preset itself, as parseTrainConfig does', () => {
  const viaSchema = trainConfigSchema.parse({ method: 'fs', preset: 'recommended' });
  assert.deepEqual(viaSchema, parseTrainConfig({ method: 'fs', preset: 'recommended' }));
  assert.equal(viaSchema.fs.placement, FS_PRESETS.recommended.fs.placement);
  assert.equal(viaSchema.keep, FS_PRESETS.recommended.keep);
});

test('a preset on a method without FS options, or an unknown preset, is an error naming config.preset', () => {
  assert.throws(() => parseTrainConfig({ method: 'mtl', preset: 'paper' }), /config\.preset: .*method 'mtl'/);
  assert.throws(() => parseTrainConfig({ method: 'fs', preset: 'best' }), /config\.preset/);
  assert.throws(() => parseTrainConfig({ method: 'fs', preset: 'paper', fs: 'global' }), /config\.fs/);
});

test('an experiment row can name a preset; its runs resolve it and differ in hash from rows that do not', () => {
  const other = (FS_PRESET_NAMES as readonly FsPresetName[]).find((n): boolean => n !== 'paper');
  const exp = parseExperiment(
    {
      name: 'presets',
      benchmarks: ['hetero3'],
      seeds: [0],
      methods: [
        { method: 'fs', label: 'FS paper', train: { preset: 'paper' } },
        ...(other ? [{ method: 'fs', label: `FS ${other}`, train: { preset: other } }] : []),
      ],
    },
    '<inline>',
  );
  assert.equal(exp.runs[0].config.fs.scope, 'global');
  assert.equal(exp.runs[0].config.preset, 'paper');
  if (other) {
    const o = exp.runs[1].config;
    for (const [k, v] of Object.entries(FS_PRESETS[other].fs)) assert.deepEqual(o.fs[k as keyof typeof o.fs], v);
    assert.notEqual(exp.runs[0].key, exp.runs[1].key);
  }
});

test("preset 'recommended' trains end to end: dense forward, masked updates, its diversity", async () => {
  const r = await runTraining({ ...smallHetero3, backend: 'cpu', method: 'fs', preset: 'recommended', keep: undefined });
  assert.equal(r.config.keep, FS_PRESETS.recommended.keep);
  assert.equal(r.config.fs.placement, 'update');
  assert.equal(r.config.fs.diversity, FS_PRESETS.recommended.fs.diversity);
  assert.equal(r.config.fs.warmupEpochs, 1, "the config's own warm-up wins");
  assert.ok(r.perTask.every((t) => t.metrics.accuracy > 0.2), 'every task learns something');
});
