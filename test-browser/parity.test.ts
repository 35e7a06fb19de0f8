// Chromium against Node, through the library's browser entry (dist-web/fsmtl.js) in a real page:
//  - the same seed and config train to the same metrics and weights on Chromium's wasm as on Node's wasm
//    (both single-threaded XNNPACK, same tfjs kernels; the test prints any difference it finds);
//  - a checkpoint and a task model made in the page predict in Node exactly as in the page, and a
//    checkpoint made in Node predicts in the page exactly as in Node.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { initEngine } from '../src/engine/setup.js';
import { runTrainingWithModel, benchmarkFor } from '../src/experiments/run.js';
import { parseTrainConfig } from '../src/train/config.js';
import { checkpointFromTrained, decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import { decodeTaskModel } from '../src/io/export.js';
import { Predictor, checkpointNetwork, taskModelNetwork } from '../src/io/predictor.js';
import { launch, pageErrors, serve } from './helpers.js';

const CONFIG = { benchmark: 'hetero3', method: 'fs', epochs: 3, trainPerTask: 300, testPerTask: 200, hidden: [64, 64], seed: 3, fs: { warmupEpochs: 1 }, backend: 'wasm' };
const N = 50;

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;
before(async () => {
  server = await serve();
  browser = await launch();
  page = await browser.newPage();
  await page.goto(server.url + 'blank.html');
});
after(async () => {
  await browser?.close();
  await server?.close();
});

interface PageRun {
  engine: string;
  metrics: Record<string, number>[];
  loss: number[][];
  checkpoint: number[];
  taskModel: number[];
  logits: number[];
  taskModelLogits: number[];
}

test('Chromium wasm and Node wasm: same metrics and weights; checkpoints predict identically both ways', { timeout: 300_000 }, async () => {
  const errors = pageErrors(page);
  const run = (await page.evaluate(
    async ({ config, n }) => {
      const f = await import(new URL('fsmtl.js', location.href).href);
      f.useBrowserEngine({ wasmPaths: new URL('wasm/', location.href).href });
      const info = await f.initEngine({ backend: 'wasm', threads: 1 });
      const { files } = await (await fetch('data/index.json')).json();
      await f.fetchFiles(new URL('data/', location.href).href, files.filter((x: string) => /^(mnist|kmnist|fashion-mnist)\/.*\.(gz|npz)$/.test(x)));
      const trained = await f.runTrainingWithModel(config);
      const checkpoint = f.encodeCheckpoint(f.checkpointFromTrained(trained));
      const taskModel = f.encodeTaskModel(f.exportTask(trained, 'kuzushiji'));
      const x = f.benchmarkFor(f.parseTrainConfig(config)).tasks[1].test.x.slice(0, n * 784);
      const logits = new f.Predictor(f.checkpointNetwork(f.decodeCheckpoint(checkpoint, 'page'), 'kuzushiji')).logits(x, n);
      const taskModelLogits = new f.Predictor(f.taskModelNetwork(f.decodeTaskModel(taskModel, 'page'))).logits(x, n);
      trained.model.dispose();
      return {
        engine: f.describeEngine(info),
        metrics: trained.result.perTask.map((t: { metrics: Record<string, number> }) => t.metrics),
        loss: trained.result.history.map((h: { loss: number[] }) => h.loss),
        checkpoint: [...checkpoint],
        taskModel: [...taskModel],
        logits: [...logits],
        taskModelLogits: [...taskModelLogits],
      };
    },
    { config: CONFIG, n: N },
  )) as PageRun;
  assert.deepEqual(errors, []);
  assert.match(run.engine, /^wasm, 1 thread/);

  await initEngine({ backend: 'wasm', threads: 1 });
  const trained = await runTrainingWithModel(CONFIG as never);
  const x = benchmarkFor(parseTrainConfig(CONFIG as never)).tasks[1].test.x.slice(0, N * 784);

  // The page's files, read in Node, predict as in the page.
  const pageCk = decodeCheckpoint(Uint8Array.from(run.checkpoint), 'page checkpoint');
  const nodeLogits = new Predictor(checkpointNetwork(pageCk, 'kuzushiji')).logits(x, N);
  assert.deepEqual([...nodeLogits], run.logits, "Node's predictions with the page's checkpoint");
  const tmLogits = new Predictor(taskModelNetwork(decodeTaskModel(Uint8Array.from(run.taskModel), 'page task model'))).logits(x, N);
  assert.deepEqual([...tmLogits], run.taskModelLogits, "Node's predictions with the page's task model");

  // Node's checkpoint, read in the page, predicts as in Node.
  const nodeCk = encodeCheckpoint(checkpointFromTrained(trained));
  const ownLogits = [...new Predictor(checkpointNetwork(decodeCheckpoint(nodeCk, 'node'), 'kuzushiji')).logits(x, N)];
  const inPage = await page.evaluate(
    async ({ bytes, n }) => {
      const f = await import(new URL('fsmtl.js', location.href).href);
      const x = f.benchmarkFor(f.parseTrainConfig({ benchmark: 'hetero3', trainPerTask: 300, testPerTask: 200 })).tasks[1].test.x.slice(0, n * 784);
      return [...new f.Predictor(f.checkpointNetwork(f.decodeCheckpoint(Uint8Array.from(bytes), 'node'), 'kuzushiji')).logits(x, n)];
    },
    { bytes: [...nodeCk], n: N },
  );
  assert.deepEqual(inPage, ownLogits, "the page's predictions with Node's checkpoint");

  // Determinism across the two runtimes: same metrics, losses and weights.
  const nodeMetrics = trained.result.perTask.map((t) => t.metrics);
  const nodeLoss = trained.result.history.map((h) => h.loss);
  const maxLossDiff = Math.max(...nodeLoss.flat().map((l, i) => Math.abs(l - run.loss.flat()[i])));
  console.log(`# Chromium wasm vs Node wasm, ${CONFIG.method} seed ${CONFIG.seed}: largest per-epoch loss difference ${maxLossDiff}`);
  assert.deepEqual(run.metrics, nodeMetrics, 'test metrics in Chromium and Node');
  assert.deepEqual(run.loss, nodeLoss, 'per-epoch losses in Chromium and Node');
  const a = decodeCheckpoint(Uint8Array.from(run.checkpoint), 'page');
  const b = decodeCheckpoint(nodeCk, 'node');
  assert.deepEqual(a.towers, b.towers, 'trained shared weights');
  assert.deepEqual(a.heads, b.heads, 'trained heads');
  assert.deepEqual(a.masks, b.masks, 'masks');
  trained.model.dispose();
});
