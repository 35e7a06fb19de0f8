// The kernels fsmtl registers on wasm (src/engine/wasm/*.ts) and the ops its trainer relies on, run in
// Chromium on wasm (threads, fsmtl's kernels), WebGPU (SwiftShader's software adapter) and WebGL, each
// checked against tfjs's cpu backend in the same page.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launch, pageErrors, serve } from './helpers.js';

const FSMTL_WASM_KERNELS = ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'OneHot', 'GatherV2', 'Sum', 'FsmtlConvFisher', 'ResizeNearestNeighborGrad'];

let server: { url: string; close: () => Promise<void> };
before(async () => {
  server = await serve();
});
after(async () => server?.close());

interface Outcome {
  available: boolean;
  why?: string;
  engine?: string;
  kernels?: string[];
  diffs?: Record<string, number>;
}

/** In the page: each case on `backend` and on cpu, with the same inputs; the largest relative difference of each. */
async function compareInPage(browser: Browser, backend: string): Promise<Outcome> {
  const page = await browser.newPage();
  const errors = pageErrors(page);
  await page.goto(server.url + 'blank.html');
  const out = (await page.evaluate(`import('./checks.js').then((m) => m.kernelCheck('${backend}'))`)) as Outcome;
  assert.deepEqual(errors.filter((e) => !/WebGPU is experimental|powerPreference/.test(e)), []);
  await page.close();
  return out;
}

function check(o: Outcome, tol: number): void {
  for (const [name, d] of Object.entries(o.diffs!)) assert.ok(d <= tol, `${name}: largest relative difference ${d} > ${tol} (${o.engine})`);
}

test('wasm (threaded binary when isolated): fsmtl registers its kernels and they agree with cpu', { timeout: 120_000 }, async () => {
  const browser = await launch();
  try {
    const o = await compareInPage(browser, 'wasm');
    assert.ok(o.available, o.why);
    assert.deepEqual(o.kernels, FSMTL_WASM_KERNELS);
    console.log(`# ${o.engine}: ${JSON.stringify(o.diffs)}`);
    // Sums of 19,200 float32 values in another order differ by ~1e-5 relative; products by ~1e-6.
    check(o, 1e-4);
  } finally {
    await browser.close();
  }
});

test('WebGPU (SwiftShader) and WebGL agree with cpu on the ops fsmtl relies on', { timeout: 180_000 }, async (t) => {
  const browser = await launch({ webgpu: true });
  try {
    for (const backend of ['webgpu', 'webgl']) {
      const o = await compareInPage(browser, backend);
      if (!o.available) {
        t.diagnostic(`${backend}: not available here (${o.why})`);
        assert.notEqual(backend, 'webgpu', `WebGPU should be offered with SwiftShader's adapter: ${o.why}`);
        continue;
      }
      console.log(`# ${backend} (${o.engine}): ${JSON.stringify(o.diffs)}`);
      check(o, 1e-4);
    }
  } finally {
    await browser.close();
  }
});
