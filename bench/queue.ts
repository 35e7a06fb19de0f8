// Queue overhead (issue #17): `node --import tsx bench/queue.ts [--runs N] [--workers W]` (default 1000 and 2).
// Needs redis-server (started here on a free loopback port, stopped after). Not part of `npm run bench`:
// it takes minutes and a Redis. Three figures, each on the same machine in this one run:
//   1. BullMQ alone: N jobs with a no-op processor in this process (jobs/s): the queue's own ceiling;
//   2. the local runner: N tiny real runs (plants, 1 epoch, a 4-unit MLP) with W processes;
//   3. the same N runs through Redis: the coordinator in this process, W `fsmtl worker` processes.
// Per-run overhead of the queue = (time 3 - time 2) / N. The load average is printed with the figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { parseQueueUrl } from '../src/experiments/queue-connection.js';
import { runOnQueue } from '../src/experiments/queue-coordinator.js';
import { experimentForQueue } from '../src/experiments/queue-job.js';
import { planExperiment, runPending } from '../src/experiments/runner.js';
import { parseExperiment } from '../src/experiments/spec.js';
import { tempDir } from '../test/experiments/helpers.js';
import { freePort, RedisServer, redisMissing } from '../test/experiments/redis.js';

const root = new URL('..', import.meta.url).pathname;
const opt = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : Number(process.argv[i + 1]);
};
const N = opt('--runs', 1000);
const W = opt('--workers', 2);
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function main() {
  if (redisMissing()) process.exit(1);
  const redis = new RedisServer(await freePort());
  await redis.start();
  const connection = parseQueueUrl(redis.url);
  const workers: ChildProcess[] = [];
  try {
    console.log(`queue overhead: ${N} runs, ${W} worker process(es); load average at start ${load()}`);

    // 1. BullMQ alone.
    const q = new Queue('noop', { connection: connection.options });
    let left = N;
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => (resolveAll = r));
    const w = new Worker('noop', async () => ({ ok: true }), { connection: connection.options, concurrency: W });
    w.on('completed', () => --left === 0 && resolveAll());
    const t0 = performance.now();
    for (let i = 0; i < N; i += 500) await q.addBulk(Array.from({ length: Math.min(500, N - i) }, (_, j) => ({ name: 'n', data: { i: i + j }, opts: { jobId: `n${i + j}` } })));
    await all;
    const tNoop = (performance.now() - t0) / 1000;
    await w.close();
    await q.close();
    console.log(`1. BullMQ, no-op jobs:     ${(N / tNoop).toFixed(0)} jobs/s (${tNoop.toFixed(1)} s; load ${load()})`);

    const dir = tempDir('fsmtl-bench-queue-');
    // The plants example's two classification tasks (its regression task trips the divergence rule on so small a network).
    const manifest = JSON.parse(readFileSync(join(root, 'examples/tabular/tasks.json'), 'utf8')) as { inputs: { csv: string }; tasks: { kind: string }[] };
    manifest.inputs.csv = join(root, 'examples/tabular', manifest.inputs.csv);
    manifest.tasks = manifest.tasks.filter((t) => t.kind !== 'regression');
    writeFileSync(join(dir, 'tasks.json'), JSON.stringify(manifest));
    const config = (out: string) =>
      parseExperiment(
        {
          benchmarks: [join(dir, 'tasks.json')],
          seeds: Array.from({ length: N }, (_, i) => i),
          train: { hidden: [4], epochs: 1, batchSize: 64, lr: 1e-3, validation: 0, backend: 'wasm' },
          methods: [{ method: 'mtl' }],
          output: join(dir, out),
        },
        join(dir, `${out}.json`),
      );

    // 2. Local runner.
    const local = config('local');
    const t1 = performance.now();
    const ls = await runPending(local, planExperiment(local).pending, { jobs: W, threads: 1 });
    const tLocal = (performance.now() - t1) / 1000;
    console.log(`2. local runner:           ${(N / tLocal).toFixed(1)} runs/s (${tLocal.toFixed(1)} s, ${ls.done} done, ${ls.failed} failed; load ${load()})`);

    // 3. Through Redis.
    for (let i = 0; i < W; i++) {
      const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), 'worker', '--queue', redis.url, '--queue-name', 'runs', '--jobs', '1'], { cwd: root, stdio: 'ignore' });
      workers.push(p);
    }
    const queued = experimentForQueue(config('queue'), { auto: 'wasm', threads: 1 });
    const t2 = performance.now();
    const qs = await runOnQueue(queued, planExperiment(queued).pending, { connection, queueName: 'runs', threads: 1, attempts: 1, pollMs: 200 });
    const tQueue = (performance.now() - t2) / 1000;
    console.log(`3. queue (Redis, BullMQ):  ${(N / tQueue).toFixed(1)} runs/s (${tQueue.toFixed(1)} s, ${qs.done} done, ${qs.failed} failed; load ${load()})`);
    console.log(`   per-run overhead of the queue against the local runner: ${(((tQueue - tLocal) / N) * 1000).toFixed(1)} ms`);
    console.log('   (3 includes starting the workers, as 2 includes starting its processes)');
  } finally {
    for (const p of workers) p.kill('SIGKILL');
    await redis.stop();
  }
}

await main();
