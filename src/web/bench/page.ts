// The bench page (npm run bench:browser drives it; bench.html?engine=wasm&threads=4 runs it by hand): ms
// per training step of the 3-task MLP on hetero3, on one engine, with the library's own trainer.
import * as f from '../../browser.js';

import { BENCH_CONFIG } from './config.js';

export interface BenchFigure {
  engine: string;
  threads: number;
  msPerStep: number;
  steps: number;
  isolated: boolean;
}

export async function benchStep(engine: 'wasm' | 'webgpu' | 'webgl', threads?: number): Promise<BenchFigure> {
  f.useBrowserEngine({ wasmPaths: new URL('wasm/', location.href).href });
  const info = await f.initEngine({ backend: engine, threads });
  const { files } = (await (await fetch('data/index.json')).json()) as { files: string[] };
  await f.fetchFiles(new URL('data/', location.href).href, files.filter((x) => /^(mnist|kmnist|fashion-mnist)\/.*\.(gz|npz)$/.test(x)));
  const r = await f.runTraining({ ...BENCH_CONFIG, backend: engine } as f.TrainConfigInput);
  return { engine: f.describeEngine(info), threads: info.threads, msPerStep: r.timings.msPerStep, steps: r.timings.steps, isolated: f.crossOriginIsolated() };
}

const q = new URLSearchParams(location.search);
if (q.has('engine')) {
  const out = document.createElement('pre');
  document.body.append(out);
  out.textContent = 'running…';
  benchStep(q.get('engine') as 'wasm', q.has('threads') ? Number(q.get('threads')) : undefined).then(
    (r) => (out.textContent = JSON.stringify(r, null, 2)),
    (e: Error) => (out.textContent = `failed: ${e.message}`),
  );
}
