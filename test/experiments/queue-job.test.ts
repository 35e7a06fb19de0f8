// Queue URLs (credentials never shown), queued run payloads (validated like configs, keyed by their hash
// with engine and threads), and what a worker refuses. No Redis needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { maskUrl, parseQueueUrl, redact } from '../../src/experiments/queue-connection.js';
import { experimentForQueue, parseQueueJob, queueJob } from '../../src/experiments/queue-job.js';
import { refusal } from '../../src/experiments/queue-worker.js';
import { parseExperiment, runKey } from '../../src/experiments/spec.js';
import { FsmtlError } from '../../src/util/errors.js';

const plants = new URL('../../examples/tabular/tasks.json', import.meta.url).pathname;

test('queue URLs: redis and rediss, user, password, database; the password is masked wherever the URL is shown', () => {
  const c = parseQueueUrl('rediss://alice:s3cr%40t@redis.example:6380/2', {});
  assert.deepEqual([c.options.host, c.options.port, c.options.db, c.options.username, c.options.password], ['redis.example', 6380, 2, 'alice', 's3cr@t']);
  assert.deepEqual(c.options.tls, { servername: 'redis.example' });
  assert.equal(c.shown, 'rediss://alice:***@redis.example:6380/2');
  assert.ok(!c.shown.includes('s3cr'));
  const plain = parseQueueUrl('redis://localhost', {});
  assert.deepEqual([plain.options.port, plain.options.db, plain.options.tls, plain.options.password], [6379, 0, undefined, undefined]);
  // From the environment: the URL, and a password kept out of it.
  const env = parseQueueUrl(undefined, { FSMTL_REDIS_URL: 'redis://h:1', FSMTL_REDIS_PASSWORD: 'pw' });
  assert.equal(env.options.password, 'pw');
  assert.equal(env.shown, 'redis://h:1');
  assert.equal(maskUrl('redis://:only-pass@h'), 'redis://***@h');
  assert.equal(redact('AUTH failed for s3cret', 's3cret'), 'AUTH failed for ***');
  for (const [bad, why] of [
    ['http://u:pw@h:1', /not a redis:\/\/ or rediss:\/\/ URL/],
    ['redis://u:pw@h:1/x', /database number/],
    ['not a url pw', /is not a URL/],
    ['redis://u:pw@h:1/0?x=1', /no query/],
  ] as const) {
    assert.throws(() => parseQueueUrl(bad, {}), (e: Error) => e instanceof FsmtlError && why.test(e.message) && !e.message.includes(':pw@'));
  }
  assert.throws(() => parseQueueUrl(undefined, {}), /FSMTL_REDIS_URL is not set/);
});

const experiment = () =>
  parseExperiment(
    { benchmarks: [plants], seeds: [0], keep: [0.5], train: { epochs: 2, fs: { warmupEpochs: 1 } }, methods: [{ method: 'fs' }], output: '/tmp/unused' },
    join('/tmp', 'exp.json'),
  );

test("queue runs: the engine ('auto' resolved) and thread count are in the key; the data folder is the worker's", () => {
  const e = experiment();
  const q1 = experimentForQueue(e, { auto: 'wasm', threads: 1 });
  const q2 = experimentForQueue(e, { auto: 'wasm', threads: 2 });
  const n1 = experimentForQueue(e, { auto: 'native', threads: 1 });
  assert.equal(q1.runs[0].config.backend, 'wasm');
  assert.match(q1.runs[0].key, /^data-fs-p0\.5-s0-wasm-t1-[0-9a-f]{12}$/);
  assert.match(n1.runs[0].key, /-native-t1-/);
  assert.notEqual(q1.runs[0].key.slice(-12), q2.runs[0].key.slice(-12), 'threads change the hash');
  assert.notEqual(q1.runs[0].key, e.runs[0].key, 'a local run (engine and threads unhashed) is another run');
  assert.equal('dataDir' in q1.runs[0].config, false);
  assert.equal(runKey(q1.runs[0].config, 1), q1.runs[0].key);
});

test('job payloads: validated with the config schema; the key must be the hash of config, engine and threads', () => {
  const run = experimentForQueue(experiment(), { auto: 'wasm', threads: 1 }).runs[0];
  const job = queueJob(run.key, run.config, 1);
  assert.deepEqual(parseQueueJob(JSON.parse(JSON.stringify(job))).config, run.config);
  const bad: [unknown, RegExp][] = [
    [{ ...job, exec: 'rm -rf /' }, /job payload: \(top level\): Unrecognized key: "exec"/i],
    [{ ...job, config: { ...run.config, onEpoch: 'process.exit()' } }, /job payload: config: .*onEpoch/i],
    [{ ...job, config: { ...run.config, lr: 'fast' } }, /job payload: config: lr:/],
    [{ ...job, config: { ...run.config, seed: 5 } }, /key '.*' is not the hash of its config/],
    [{ ...job, threads: 2 }, /is not the hash/],
    [queueJob(run.key, { ...run.config, backend: 'auto' }, 1), /names its engine/],
    [{ ...job, key: '../../etc/passwd' }, /key: a run key/],
    [null, /job payload/],
  ];
  for (const [payload, why] of bad) assert.throws(() => parseQueueJob(payload), (e: Error) => e instanceof FsmtlError && why.test(e.message), JSON.stringify(payload)?.slice(0, 80));
});

test('a worker refuses runs it cannot reproduce: another fsmtl version, more threads than allowed, other data', () => {
  const run = experimentForQueue(experiment(), { auto: 'wasm', threads: 2 }).runs[0];
  const job = parseQueueJob(queueJob(run.key, run.config, 2));
  assert.equal(refusal(job, 4), null);
  assert.match(refusal({ ...job, fsmtlVersion: '0.0.1' }, 4)!, /planned with fsmtl 0\.0\.1; this worker runs fsmtl /);
  assert.match(refusal(job, 1)!, /asks for 2 threads; this worker allows 1/);
  assert.match(refusal({ ...job, config: { ...job.config, dataHash: 'feedbeef' } }, 4)!, /its data differ here \(content hash \w+, planned feedbeef\)/);
  assert.match(refusal({ ...job, config: { ...job.config, data: '/nowhere/tasks.json' } }, 4)!, /data manifest is not readable here/);
});
