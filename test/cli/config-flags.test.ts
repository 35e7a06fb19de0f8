import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addConfigFlags, configFlags, configFromFlags } from '../../src/cli/config-flags.js';
import { parseTrainConfig, trainConfigObject } from '../../src/train/config.js';
import { methodNames } from '../../src/methods/registry.js';
import { weightingNames } from '../../src/methods/weighting/registry.js';

/** Every leaf field of the config: top-level fields and the fields of its option blocks. */
function leafPaths(): string[] {
  const out: string[] = [];
  const unwrap = (s: any): any => (s.def.type === 'default' || s.def.type === 'optional' ? unwrap(s.unwrap()) : s);
  for (const [name, field] of Object.entries(trainConfigObject.shape)) {
    const inner = unwrap(field);
    if (inner.def.type === 'object') for (const sub of Object.keys(inner.shape)) out.push(`${name}.${sub}`);
    else out.push(name);
  }
  return out;
}

function parse(args: string[]) {
  const cmd = addConfigFlags(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

test('every config field is a flag, but the ones marked cli: false; flags are unique', () => {
  const flagged = configFlags().map((f) => f.path.join('.'));
  const internal = ['dataHash'];
  assert.deepEqual(leafPaths().filter((p) => !internal.includes(p)).sort(), [...flagged].sort(), 'a new config field needs help meta (or cli: false)');
  const names = configFlags().map((f) => f.option.long);
  assert.equal(new Set(names).size, names.length, `duplicate flag in ${names.join(' ')}`);
});

test('flags land on their config fields, in blocks too, and choices come from the registries', () => {
  const opts = parse(['--keep', '0.5', '--hidden', '64,32', '--warmup', '1', '--fisher-label', 'true', '--gradnorm-alpha', '2', '--se-reduction', '4', '--roaming-epochs', '3', '--attributes', 'Smiling, Male']);
  const config = configFromFlags(opts);
  assert.deepEqual(config, {
    keep: 0.5,
    hidden: [64, 32],
    attributes: ['Smiling', 'Male'],
    fs: { warmupEpochs: 1, label: 'true' },
    weightingOptions: { gradnormAlpha: 2 },
    se: { reduction: 4 },
    mr: { roamingEpochs: 3 },
  });
  const parsed = parseTrainConfig({ ...config, attributes: undefined });
  assert.equal(parsed.fs.warmupEpochs, 1);
  assert.equal(parsed.fs.samples, 256, 'fields not given keep their defaults');
  assert.equal(parsed.weightingOptions.gradnormAlpha, 2);
  const choices = (long: string) => configFlags().find((f) => f.option.long === long)!.option.argChoices;
  assert.deepEqual(choices('--method'), methodNames());
  assert.deepEqual(choices('--weighting'), weightingNames());
});

test('flags win over the config file, block by block; a block that is not an object is left for the schema to name', () => {
  const file = { keep: 0.2, epochs: 4, fs: { warmupEpochs: 3, samples: 64 } };
  assert.deepEqual(configFromFlags(parse(['--keep', '0.6', '--warmup', '1']), file), { keep: 0.6, epochs: 4, fs: { warmupEpochs: 1, samples: 64 } });
  const bad = configFromFlags(parse(['--warmup', '1']), { fs: 5 });
  assert.throws(() => parseTrainConfig(bad), /config\.fs: /);
  assert.deepEqual(configFromFlags(parse(['--keep', '0.6', '--method', 'mtl']), {}, ['method']), { keep: 0.6 }, 'fields a command takes its own way are left out');
});

test('numbers are read in decimal only, integers where the schema says so', () => {
  assert.throws(() => parse(['--epochs', '0x10']), /--epochs must be an integer, got '0x10'/);
  assert.throws(() => parse(['--epochs', '2.5']), /--epochs must be an integer/);
  assert.throws(() => parse(['--hidden', '64,x']), /--hidden must be an integer, got 'x'/);
  assert.throws(() => parse(['--fisher-label', 'maybe']), /Allowed choices are predicted, true, exact/);
  assert.equal(parse(['--lr', '1e-3']).lr, 0.001);
});

test('the version fsmtl reports is the package version', async () => {
  const { FSMTL_VERSION } = await import('../../src/train/trainer.js');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(FSMTL_VERSION, pkg.version);
});
