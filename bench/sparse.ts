// The sparse inference path (issue #19): for fs task models at p = 0.1, 0.3, 0.5 on hetero3's MLP
// 784-512-512, each task-0 model predicts on
//   dense      the main predictor on the dense path (tfjs ops on dense weights, zeros where masked)
//   sparse     the main predictor as the library runs it ('auto': sparse where the crossover says so)
//   TF-free    fsmtl/predictor (TypeScript kernels, no TensorFlow.js)
// with batch-1 latency (median, p99 over single examples), batch-1000 throughput (and its CPU time per
// example, which a loaded machine distorts less) and the weights held after both (the sparse path's
// include the dense weights when a batch took the dense path).
// Then the crossover: forced sparse / dense time per batch size, next to src/io/sparse-crossover.ts.
import { loadavg } from 'node:os';
import { engineInfo } from '../src/engine/setup.js';
import { benchmarkFor, runTrainingWithModel } from '../src/experiments/run.js';
import { checkpointFromTrained } from '../src/io/checkpoint.js';
import { decodeTaskModel, encodeTaskModel, exportTask } from '../src/io/export.js';
import { checkpointNetwork, Predictor, taskModelNetwork } from '../src/io/predictor.js';
import { CROSSOVER_BATCHES, crossoverDensity, density } from '../src/io/sparse-crossover.js';
import { loadPredictor } from '../src/predictor/index.js';
import { parseTrainConfig } from '../src/train/config.js';

const fmt = (x: number, d = 1) => x.toFixed(d);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

interface Row {
  name: string;
  median: number;
  p99: number;
  perSec: number;
  cpuUs: number;
  bytes: number;
}

type Run = (x: Float32Array, n: number) => unknown;

function latency(run: Run, x: Float32Array, n: number, size: number, reps: number): { median: number; p99: number } {
  for (let i = 0; i < 50; i++) run(x.subarray((i % n) * size, ((i % n) + 1) * size), 1); // warm-up (JIT, first uploads)
  const t = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const i = r % n;
    const xi = x.subarray(i * size, (i + 1) * size);
    const t0 = performance.now();
    run(xi, 1);
    t[r] = performance.now() - t0;
  }
  t.sort();
  return { median: t[Math.floor(reps / 2)], p99: t[Math.floor(reps * 0.99)] };
}

/** Examples per second (wall clock), and CPU µs per example (all threads; less sensitive to a loaded machine). */
function throughput(run: Run, x: Float32Array, n: number, reps: number): { perSec: number; cpuUs: number } {
  run(x, n);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) run(x, n);
  const c = process.cpuUsage(c0);
  return { perSec: (reps * n) / ((performance.now() - t0) / 1000), cpuUs: (c.user + c.system) / (reps * n) };
}

/** Median ms of one call on m examples (a median, because a loaded machine preempts some calls for many ms). */
function time(run: Run, x: Float32Array, m: number, reps: number): number {
  run(x, m);
  const t = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run(x, m);
    t[r] = performance.now() - t0;
  }
  t.sort();
  return t[Math.floor(reps / 2)];
}

export async function benchSparse(opts: { quick?: boolean } = {}): Promise<void> {
  const engine = engineInfo()!;
  const kernels = engine.backend === 'native' ? 'native' : 'js';
  const reps1 = opts.quick ? 300 : 2000;
  const reps1000 = opts.quick ? 2 : 5;
  console.log(`## Sparse inference (issue #19): hetero3 task 0, FS, MLP 784-512-512; engine ${engine.backend}, sparse kernels ${kernels}`);
  console.log(`batch-1 latency over ${reps1} single examples; batch-1000 throughput over ${reps1000} × 1000; load average at start ${load()}`);
  const summary: string[] = [];
  for (const keep of [0.1, 0.3, 0.5]) {
    const config = parseTrainConfig({ benchmark: 'hetero3', method: 'fs', keep, trainPerTask: 2000, testPerTask: 1000, epochs: 2, fs: { warmupEpochs: 1 }, seed: 0 });
    const trained = await runTrainingWithModel(config);
    const c = checkpointFromTrained(trained);
    trained.model.dispose();
    const { x, n } = benchmarkFor(config).tasks[0].test;
    const size = 784;
    const bytes = encodeTaskModel(exportTask(c, 0));

    const dense = new Predictor(checkpointNetwork(c, 0), { path: 'dense' });
    const auto = new Predictor(taskModelNetwork(decodeTaskModel(bytes, 'memory')));
    const free = loadPredictor(bytes);
    const forced = new Predictor(taskModelNetwork(decodeTaskModel(bytes, 'memory')), { path: 'sparse' });
    const d = typeof forced.sparse === 'string' ? NaN : density(forced.sparse.net.cost);
    const rows: Row[] = [];
    const runs: [string, Run, () => number][] = [
      ['dense', (xi, m) => dense.logits(xi, m, 1000), () => dense.residentBytes],
      ['sparse path (auto)', (xi, m) => auto.logits(xi, m, 1000), () => auto.residentBytes],
      ['TF-free predictor', (xi, m) => free.outputs(xi, m), () => free.residentBytes],
    ];
    const loadBefore = load();
    for (const [name, run, bytesOf] of runs) {
      const l = latency(run, x, n, size, reps1);
      rows.push({ name, ...l, ...throughput(run, x, n, reps1000), bytes: bytesOf() });
    }
    const base = rows[0];
    console.log();
    console.log(`### p = ${keep}: density (kept / dense multiply-adds) ${fmt(d, 3)}; the sparse path runs batch 1 ${auto.sparseFor(1) ? 'sparse' : 'dense'}, batch 1000 ${auto.sparseFor(1000) ? 'sparse' : 'dense'}; load ${loadBefore} → ${load()}`);
    console.log('| path | batch-1 median ms | p99 ms | median vs dense | batch-1000 /s | vs dense | CPU µs/example | weights KiB | vs dense |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${fmt(r.median, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.median / base.median, 2)}× | ${fmt(r.perSec, 0)} | ${fmt(r.perSec / base.perSec, 2)}× | ` +
          `${fmt(r.cpuUs, 1)} | ${fmt(r.bytes / 1024, 0)} | ${fmt((100 * r.bytes) / base.bytes, 1)}% |`,
      );
    }
    if (keep === 0.1) {
      const s = rows[1];
      summary.push(
        `targets at p = 0.1 (sparse path): batch-1 latency ${fmt(s.median / base.median, 2)}× dense (≤ 0.35: ${s.median / base.median <= 0.35 ? 'met' : 'NOT met'}), ` +
          `weights ${fmt((100 * s.bytes) / base.bytes, 1)}% (≤ 20%: ${s.bytes / base.bytes <= 0.2 ? 'met' : 'NOT met'}), ` +
          `batch-1000 throughput ${fmt(s.perSec / base.perSec, 2)}× dense (≥ 1: ${s.perSec >= base.perSec ? 'met' : 'NOT met'})`,
      );
    }
    // The crossover: the sparse kernels forced, against dense, per batch size.
    const cells = CROSSOVER_BATCHES.map((m) => {
      const reps = Math.max(5, Math.round((opts.quick ? 1000 : 4000) / m));
      const xm = x.subarray(0, m * size);
      const ts = time((xi, k) => forced.logits(xi, k, 1000), xm, m, reps);
      const td = time((xi, k) => dense.logits(xi, k, 1000), xm, m, reps);
      return `${m}: ${fmt(ts / td, 2)} (${d <= crossoverDensity(kernels, m) ? 'sparse' : 'dense'})`;
    });
    console.log(`forced sparse / dense median time by batch (the threshold's choice): ${cells.join(', ')}`);
    dense.dispose();
    auto.dispose();
    forced.dispose();
  }
  console.log();
  for (const s of summary) console.log(s);
  console.log(`load average at end ${load()}`);
}
