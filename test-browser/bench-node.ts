// Node's side of npm run bench:browser: the bench page's config on Node's wasm with `threads` threads; prints JSON.
import { initEngine, describeEngine } from '../src/engine/setup.js';
import { runTraining } from '../src/experiments/run.js';
import { BENCH_CONFIG } from '../src/web/bench/config.js';

const threads = Number(process.argv[2] ?? 1);
const info = await initEngine({ backend: 'wasm', threads });
const r = await runTraining({ ...BENCH_CONFIG, backend: 'wasm' } as never);
console.log(JSON.stringify({ engine: describeEngine(info), threads: info.threads, msPerStep: r.timings.msPerStep, steps: r.timings.steps }));
