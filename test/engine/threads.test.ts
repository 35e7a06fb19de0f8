// wasm threads in Node: they start, results do not depend on them, and processes still exit by themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultThreads, threadsSupported } from '../../src/engine/index.js';

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
