// The web app in real Chromium: the page loads cross-origin isolated, trains a short run of two methods on
// wasm with threads, and shows the results table; its downloaded checkpoint and task model predict in
// Node exactly as in the page.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { initEngine } from '../src/engine/setup.js';
import { benchmarkFor } from '../src/experiments/run.js';
import { decodeCheckpoint } from '../src/io/checkpoint.js';
import { Predictor, checkpointNetwork } from '../src/io/predictor.js';
import { taskKind } from '../src/tasks/registry.js';
import type { TrainResult } from '../src/train/trainer.js';
import { launch, pageErrors, serve } from './helpers.js';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page trains MTL and FS on wasm and shows the table', { timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  const errors = pageErrors(page);
  await page.goto(server.url);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'served cross-origin isolated');
  await page.waitForSelector('#served-bench option', { state: 'attached' });
  await page.fill('#epochs', '4');
  await page.fill('#train', '600');
  await page.fill('#test', '200');
  await page.fill('#hidden', '64,64');
  await page.fill('#warmup', '1');
  await page.click('#train-btn');
  await page.waitForFunction(() => document.body.dataset.done === 'true' || document.querySelector('#status.error'), null, { timeout: 200_000 });
  const status = await page.textContent('#status');
  assert.match(status ?? '', /^done: 2 run/, `status: ${status}; errors: ${errors.join(' | ')}`);
  assert.match((await page.textContent('#engine')) ?? '', /engine: wasm, \d+ thread/);
  const cells = await page.$$eval('#results-table tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.equal(cells.length, 3, 'a header and one row per method');
  assert.deepEqual(cells.slice(1).map((r) => r[0]), ['MTL', 'FS']);
  // A short run: above chance (macro F1 ≈ 0.1 for 10 classes), and the training loss went down.
  for (const r of cells.slice(1)) for (const v of r.slice(2, 6)) assert.ok(Number(v) > 0.15 && Number(v) <= 1, `F1 ${v} of ${r[0]}`);
  const results = (await page.evaluate('window.fsmtlResults')) as TrainResult[];
  for (const r of results) {
    const mean = (l: number[]) => l.reduce((a, b) => a + b, 0) / l.length;
    assert.ok(mean(r.history.at(-1)!.loss) < mean(r.history[0].loss), `${r.config.method}: loss ${mean(r.history[0].loss)} → ${mean(r.history.at(-1)!.loss)}`);
  }
  assert.ok((await page.$$('#overlap-chart svg')).length === 1, 'the overlap heat map is drawn');
  assert.ok((await page.$$('#metric-chart svg')).length === 1, 'the metric chart is drawn');
  assert.deepEqual(errors, []);

  // The FS checkpoint, downloaded through its link and read in Node, scores exactly as in the page.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#results-table tr:nth-child(3) a.download >> nth=0')]);
  assert.match(download.suggestedFilename(), /^fs-seed0\.safetensors$/);
  const ck = decodeCheckpoint(new Uint8Array(readFileSync((await download.path())!)), download.suggestedFilename());
  const pageResult = results[1];
  await initEngine({ backend: 'wasm', threads: 1 });
  const bench = benchmarkFor(ck.config);
  const nodeMetrics = bench.tasks.map((t, i) => {
    const acc = taskKind(ck.taskSpecs[i]).accumulator(ck.taskSpecs[i]);
    const p = new Predictor(checkpointNetwork(ck, t.name));
    acc.add(p.logits(t.test.x, t.test.n), t.test.y, t.test.n);
    p.dispose();
    return acc.result();
  });
  assert.deepEqual(nodeMetrics, pageResult.perTask.map((t) => t.metrics), "Node's test metrics with the downloaded checkpoint");
  await page.close();
});
