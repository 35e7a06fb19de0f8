// Threads: wasm threads start in Node, results do not depend on them, processes still exit by themselves;
// training runs are bit-identical for one engine and thread count (and, on wasm, across thread counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultThreads, nativeStatus, threadsSupported } from '../../src/engine/index.js';

const child = fileURLToPath(new URL('./fixtures/threads-child.ts', import.meta.url));

function run(threads: number | 'default'): Promise<{ threads: number; hash: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    // The child must exit on its own: a pthread worker keeping it alive would hit this timeout.
    execFile(process.execPath, ['--import', 'tsx', child, String(threads)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`child (threads=${threads}) failed: ${err.message}\n${stderr.slice(-2000)}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      resolve({ ...(JSON.parse(line) as { threads: number; hash: string }), ms: Date.now() - t0 });
    });
  });
}

test('threads start as requested, give identical gradients, and the process exits', { timeout: 180_000 }, async () => {
  const one = await run(1);
  const twoA = await run(2);
  const twoB = await run(2);
  const dflt = await run('default');
  assert.equal(one.threads, 1);
  const expected = threadsSupported() ? 2 : 1;
  assert.equal(twoA.threads, expected);
  assert.equal(dflt.threads, threadsSupported() ? defaultThreads() : 1);
  // Same thread count: bit-identical. XNNPACK splits work by output tiles (no split reductions), so even
  // different thread counts give the same bits.
  assert.equal(twoA.hash, twoB.hash);
  assert.equal(one.hash, twoA.hash);
  assert.equal(dflt.hash, one.hash);
});

// What docs/experiments.md promises about threads and training runs: the same engine and thread count
// give bit-identical runs on every engine; wasm runs are also identical across thread counts, native
// ones are not (OpenBLAS splits a product's inner dimension differently with more than one thread).
const trainChild = fileURLToPath(new URL('./fixtures/train-child.ts', import.meta.url));

interface RunOutput {
  backend: string;
  threads: number;
  weights: string;
  losses: number[][];
  metrics: Record<string, number>[];
}

function train(backend: 'wasm' | 'native', threads: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', trainChild, backend, String(threads)], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`train child (${backend}, ${threads} threads) failed: ${err.message}\n${stderr.slice(-2000)}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunOutput);
    });
  });
}

test('wasm: a training run is bit-identical with 1 and 2 threads', { timeout: 240_000 }, async () => {
  const [one, two] = await Promise.all([train('wasm', 1), train('wasm', 2)]);
  assert.equal(one.backend, 'wasm');
  assert.equal(one.threads, 1);
  assert.equal(two.threads, threadsSupported() ? 2 : 1);
  assert.equal(two.weights, one.weights);
  assert.deepEqual(two.losses, one.losses);
  assert.deepEqual(two.metrics, one.metrics);
});

test('native: two training runs with the same thread count are bit-identical', { timeout: 240_000 }, async (t) => {
  const status = nativeStatus();
  if (!status.available) {
    t.skip(`native engine unavailable: ${status.reason}`);
    return;
  }
  const [a, b] = await Promise.all([train('native', 2), train('native', 2)]);
  assert.equal(a.backend, 'native');
  assert.equal(a.threads, 2);
  assert.equal(b.weights, a.weights);
  assert.deepEqual(b.losses, a.losses);
  assert.deepEqual(b.metrics, a.metrics);
});
