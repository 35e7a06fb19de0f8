// npm run bench:browser: ms per step of the 3-task MLP (src/web/bench/config.ts) in Chromium on wasm with
// 1 and N threads and on WebGPU where offered, against Node's wasm with 1 and N threads, in one run.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { launch, serve } from './helpers.js';

const server = await serve();
const rows: { where: string; engine: string; threads: number; msPerStep: number }[] = [];
const inPage = async (engine: string, threads: number | undefined, webgpu = false) => {
  const browser = await launch({ webgpu });
  try {
    const page = await browser.newPage();
    await page.goto(server.url + 'bench.html');
    const r = (await page.evaluate(`import('./bench-page.js').then((m) => m.benchStep(${JSON.stringify(engine)}, ${threads ?? 'undefined'}))`)) as {
      engine: string;
      threads: number;
      msPerStep: number;
    };
    rows.push({ where: 'Chromium', ...r });
    console.log(`Chromium  ${r.engine.padEnd(34)} ${r.msPerStep.toFixed(1)} ms/step`);
  } catch (e) {
    console.log(`Chromium  ${engine}: not measured (${(e as Error).message.split('\n')[0]})`);
  } finally {
    await browser.close();
  }
};
const inNode = (threads: number) => {
  const p = spawnSync(process.execPath, ['--import', 'tsx', 'test-browser/bench-node.ts', String(threads)], { encoding: 'utf8', env: { ...process.env, FSMTL_NATIVE: '0' } });
  const r = JSON.parse(p.stdout.trim().split('\n').pop()!) as { engine: string; threads: number; msPerStep: number };
  rows.push({ where: 'Node', ...r });
  console.log(`Node      ${r.engine.padEnd(34)} ${r.msPerStep.toFixed(1)} ms/step`);
};

console.log(`3-task MLP 784-512-512, batch 128 per task, hetero3; ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`);
const n = Math.min(8, availableParallelism());
await inPage('wasm', 1);
await inPage('wasm', n);
await inPage('webgpu', undefined, true);
inNode(1);
// The page asked for N threads; tfjs-backend-wasm's C++ gives it at most hardwareConcurrency / 2.
const chromeN = rows.filter((r) => r.where === 'Chromium' && r.engine.startsWith('wasm')).at(-1)!;
if (chromeN.threads > 1) inNode(chromeN.threads);
if (n > chromeN.threads) inNode(n);
const nodeN = rows.filter((r) => r.where === 'Node' && r.threads === chromeN.threads).at(-1)!;
const ratio = chromeN.msPerStep / nodeN.msPerStep;
console.log(`Chromium wasm / Node wasm at ${chromeN.threads} thread(s): ${ratio.toFixed(2)}  (target ≤ 1.3: ${ratio <= 1.3 ? 'met' : 'NOT met'}); load now ${loadavg()[0].toFixed(1)}`);
await server.close();
