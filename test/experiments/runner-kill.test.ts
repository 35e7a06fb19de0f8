// The local runner and a worker process killed from outside (kill -9, as the OOM killer does): the run
// is started again, not recorded as a failure; a run whose worker is killed every time is recorded as
// failed after KILLED_RUN_ATTEMPTS tries. Run logs and TensorBoard events of the finished runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KILLED_RUN_ATTEMPTS, planExperiment, runPending, type RunnerEvent } from '../../src/experiments/runner.js';
import { parseRunLog } from '../../src/experiments/run-log.js';
import { parseExperiment } from '../../src/experiments/spec.js';
import { readStore, runLogFile } from '../../src/experiments/store.js';
import { tempDir } from './helpers.js';

const plants = new URL('../../examples/tabular/tasks.json', import.meta.url).pathname;
const experiment = (dir: string) =>
  parseExperiment(
    {
      benchmarks: [plants],
      seeds: [0],
      keep: [0.5],
      train: { hidden: [16], epochs: 3, batchSize: 32, lr: 0.001, fs: { warmupEpochs: 1, samples: 32 }, backend: 'wasm' },
      methods: [{ method: 'mtl' }, { method: 'fs' }],
      output: dir,
    },
    join(dir, 'exp.json'),
  );

test('a worker killed once (SIGKILL) under a run: the run is trained again and stored, nothing is recorded as failed', { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const e = experiment(dir);
  const events: RunnerEvent[] = [];
  let killed: string | null = null;
  const pids = new Map<number, number>();
  const summary = await runPending(e, planExperiment(e).pending, {
    jobs: 1,
    threads: 1,
    tensorboard: join(dir, 'tb'),
    onEvent: (ev) => {
      events.push(ev);
      if (ev.type === 'start' && ev.pid) pids.set(ev.slot, ev.pid);
      // Kill the worker once, in the middle of the first run's training.
      if (ev.type === 'progress' && killed === null && ev.phase === 'train') {
        killed = ev.run.key;
        process.kill(pids.get(ev.slot)!, 'SIGKILL');
      }
    },
  });
  assert.ok(killed);
  assert.deepEqual(summary, { done: 2, failed: 0, interrupted: false });
  const retries = events.filter((x) => x.type === 'retry');
  assert.equal(retries.length, 1);
  assert.equal(retries[0].run.key, killed);
  assert.match((retries[0] as { error: string }).error, /killed \(SIGKILL\)/);
  const store = readStore(dir);
  assert.equal(store.results.size, 2);
  assert.equal(store.failed.size, 0);
  // The retried run's log starts afresh: three epochs and its result, once.
  const log = parseRunLog(readFileSync(runLogFile(dir, killed), 'utf8'), killed);
  assert.deepEqual(log.map((r) => r.type), ['epoch', 'epoch', 'epoch', 'result']);
  const fs = e.runs.find((r) => r.method === 'fs')!.key;
  const fsLog = parseRunLog(readFileSync(runLogFile(dir, fs), 'utf8'), fs);
  assert.deepEqual(fsLog.map((r) => r.type === 'epoch' && r.masks !== null), [false, true, true, false], 'fs has masks after its warm-up epoch');
  assert.ok(readdirSync(join(dir, 'tb', killed)).some((f) => f.startsWith('events.out.tfevents.')));
});

test(`a run whose worker is killed every time is recorded as failed after ${KILLED_RUN_ATTEMPTS} tries`, { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const e = experiment(dir);
  const target = e.runs[0].key;
  const pids = new Map<number, number>();
  const events: RunnerEvent[] = [];
  const summary = await runPending(e, [e.runs[0]], {
    jobs: 1,
    threads: 1,
    onEvent: (ev) => {
      events.push(ev);
      if (ev.type === 'start' && ev.pid) pids.set(ev.slot, ev.pid);
      // Killed as soon as it is handed the run, every time (no training needed to show the rule).
      if (ev.type === 'start' && ev.run.key === target) {
        try {
          process.kill(pids.get(ev.slot)!, 'SIGKILL');
        } catch {
          /* already dead */
        }
      }
    },
  });
  assert.deepEqual(summary, { done: 0, failed: 1, interrupted: false });
  assert.equal(events.filter((x) => x.type === 'retry').length, KILLED_RUN_ATTEMPTS - 1);
  const failure = readStore(dir).failed.get(target);
  assert.ok(failure);
  assert.match(failure.error, new RegExp(`killed \\(SIGKILL\\).*\\(${KILLED_RUN_ATTEMPTS} times\\)`));
});
