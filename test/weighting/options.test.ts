// The options of the weightings of issue #18: validated in the config, defaulted by the registry, and
// optional, so that configs that leave them unset keep their run hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FsmtlError } from '../../src/util/errors.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { configHash } from '../../src/experiments/spec.js';
import { createWeighting, DEFAULT_WEIGHTING_OPTIONS } from '../../src/methods/weighting/registry.js';
import { ctxOf, maxAbsDiff } from './helpers.js';

test('bad options are one-line config errors naming the field', () => {
  const bad: [string, number][] = [['graddropLeak', 1.5], ['gradvacBeta', 0], ['dbmtlBeta', 1], ['stchWarmupEpochs', 1.5], ['fairgradAlpha', -1], ['mocoGamma', 0], ['famoGamma', -0.1]];
  for (const [key, value] of bad) {
    assert.throws(
      () => parseTrainConfig({ method: 'mtl', weighting: 'moco', weightingOptions: { [key]: value } }),
      (e: unknown) => e instanceof FsmtlError && e.message.includes(`config.weightingOptions.${key}`) && !e.message.includes('\n'),
      key,
    );
  }
});

test('unset options keep the run hash; a set one changes it and reaches the method', () => {
  const plain = parseTrainConfig({ method: 'mtl', weighting: 'stch' });
  assert.equal(plain.weightingOptions.stchMu, undefined);
  // A resolved config holds only the options it had before issue #18, so its hash (and a stored run's) is unchanged.
  assert.deepEqual(Object.keys(plain.weightingOptions).sort(), ['cagradC', 'dwaTemperature', 'gradnormAlpha', 'gradnormLr', 'nashMaxIter']);
  const set = parseTrainConfig({ method: 'mtl', weighting: 'stch', weightingOptions: { stchMu: 0.5 } });
  assert.notEqual(configHash(plain), configHash(set));
  // The option reaches the method: μ changes STCH's weights after the warm-up; the default equals the explicit 1.
  const grads = [Float32Array.from([1, 0]), Float32Array.from([0, 1])];
  const after = (opts: object) => {
    const m = createWeighting('stch', { ...opts, stchWarmupEpochs: 0 });
    let state = m.init(2);
    state = m.combine(grads, ctxOf({ losses: [1, 1], epoch: 0 }), state).state;
    return m.combine(grads, ctxOf({ losses: [1, 3], epoch: 1 }), state).weights;
  };
  assert.ok(maxAbsDiff(after({}), after({ stchMu: DEFAULT_WEIGHTING_OPTIONS.stchMu })) === 0);
  assert.ok(maxAbsDiff(after({}), after({ stchMu: 0.5 })) > 1e-3);
  assert.ok(maxAbsDiff(after({ stchMu: undefined }), after({})) === 0);
});
