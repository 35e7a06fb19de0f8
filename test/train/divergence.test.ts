// The divergence rule (docs/method.md): an epoch's mean loss above 10 × both a constant prediction's loss
// and the task's first-step loss stops the run with a one-line error; a network that merely starts far off
// (the tabular example's raw inputs, whose first growth losses are ~100 × a constant prediction's) trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runTraining } from '../../src/experiments/run.js';
import { FsmtlError } from '../../src/util/errors.js';

const manifest = join(new URL('../..', import.meta.url).pathname, 'examples/tabular/tasks.json');
const base = { data: manifest, method: 'mtl' as const, epochs: 3, backend: 'cpu' as const };

test('a run that starts far above a constant prediction but falls is not called diverged', async () => {
  for (const seed of [1, 2]) {
    const r = await runTraining({ ...base, seed });
    const growth = r.history.map((h) => h.loss[r.benchmark.tasks.indexOf('growth')]);
    assert.ok(growth[0] > 10, `seed ${seed}: the first epoch's growth loss (${growth[0]}) is above 10 × a constant prediction's, as the rule's case needs`);
    assert.ok(growth[growth.length - 1] < growth[0], `seed ${seed}: and it falls (${growth.join(', ')})`);
  }
});

test('a huge learning rate is still stopped, naming the task, the epoch and both references', async () => {
  await assert.rejects(
    runTraining({ ...base, seed: 1, lr: 1e6 }),
    (e: Error) => e instanceof FsmtlError && /^task '\w+': (training diverged at epoch \d+: its mean loss .* is more than 10 times that of a constant prediction \(.*\) and of its first step \(.*\)|the training loss became)/.test(e.message),
  );
});
