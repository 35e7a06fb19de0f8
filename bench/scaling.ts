// Cost as tasks grow: ms per training step and peak memory against the number of tasks T, measured in one
// run, on T binary tasks over one input set (a homogeneous benchmark built in memory: MNIST images, task t
// asks "is the digit in S_t?" for a seeded random 5-digit subset S_t; random pixels when MNIST is absent).
// Shared MLP 784-512-512 (the default), batch 128, Adam, p = 0.3.
//   MTL (EW)        one forward and one backward pass for all tasks (the trainer's sharedStep)
//   FS forward      masks in force (timed after a one-epoch dense warm-up): one pass per task on S_t ⊙ θ
//   FS update       the same with a dense forward pass and masked updates
//   MTL+PCGrad      one pass per task; the T gradients are flattened into JS and combined there
// Per configuration: median ms per step after warm-up steps [min–max over the timed steps], peak RSS of
// its process, and peak tfjs tensor bytes (sampled at every kernel launch, so intra-step peaks count).
// Then one FS mask update at the largest T (the Fisher estimate of every task, N = 256 each, the top-K
// masks and their upload as tensors), as a multiple of one MTL (EW) step at that T.
// Each configuration runs in a child process of its own, so that its peak RSS is its own; the MTL runs,
// whose ratio is a target, are repeated in interleaved rounds and summarised by the median round.
//   node --import tsx bench/scaling.ts [--quick] [--tasks 2,8,40] [--backend native|wasm] [--with-native]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../src/data/sources.js';
import type { Benchmark, TaskData } from '../src/data/types.js';
import { describeEngine, initEngine, nativeStatus } from '../src/engine/index.js';
import { createMethod } from '../src/methods/registry.js';
import { fisherDiagonal } from '../src/sparse/fisher.js';
import { parseTrainConfig, type TrainConfigInput } from '../src/train/config.js';
import { trainModel } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

type Variant = 'mtl' | 'fs-forward' | 'fs-update' | 'pcgrad';

const LABELS: Record<Variant, string> = {
  mtl: 'MTL (EW)',
  'fs-forward': "FS, placement 'forward'",
  'fs-update': "FS, placement 'update'",
  pcgrad: 'MTL+PCGrad',
};

const BATCH = 128;
const KEEP = 0.3;
const FISHER_SAMPLES = 256;

interface ChildArgs {
  variant: Variant;
  T: number;
  backend: 'native' | 'wasm';
  /** Steps per epoch. */
  steps: number;
  /** Leading steps of the timed epoch(s) not timed. */
  skip: number;
  /** Time the parts of one FS mask update outside the trainer too. */
  breakdown: boolean;
}

interface MaskUpdate {
  /** In the trainer: from the last step of the warm-up epoch to the first masked step, less one median masked step. */
  inTrainerMs: number;
  /** The trainer's own timer around its T Fisher estimates. */
  trainerFisherMs: number;
  /** Measured again outside the trainer, on the trained model: */
  parts?: {
    fisherMs: number[];
    /** Of which: the per-task tensors' download (dataSync). */
    downloadMs: number;
    topKMs: number;
    tensorsMs: number;
    /** CPU time of the same two (single-threaded JS, so less sensitive to a loaded machine than wall time). */
    topKCpuMs: number;
    tensorsCpuMs: number;
  };
}

interface ChildResult {
  stepMs: number[];
  baseRssBytes: number;
  peakRssBytes: number;
  peakTensorBytes: number;
  maskUpdate?: MaskUpdate;
  inputs: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};
const MiB = (b: number) => (b / 2 ** 20).toFixed(0);

// ---------------------------------------------------------------------------------------------------------
// Child: one configuration.

/** T binary tasks over the same n images (one Float32Array shared by every task: a homogeneous benchmark). */
function homogeneousBinary(T: number, nTrain: number, nTest: number): { bench: Benchmark; inputs: string } {
  const rng = new Rng(7);
  const subsets = Array.from({ length: T }, () => Array.from(rng.permutation(10).slice(0, 5)));
  let train: { x: Float32Array; digits: Int32Array };
  let test: { x: Float32Array; digits: Int32Array };
  let inputs: string;
  try {
    const m = loadMnist();
    const take = (s: { images: Uint8Array; labels: Int32Array; n: number }, n: number) => {
      if (s.n < n) throw new Error('too few images');
      const x = new Float32Array(n * 784);
      for (let i = 0; i < x.length; i++) x[i] = s.images[i] / 255;
      return { x, digits: s.labels.slice(0, n) };
    };
    train = take(m.train, nTrain);
    test = take(m.test, nTest);
    inputs = `MNIST images (${m.dir})`;
  } catch {
    const fake = (n: number) => {
      const x = new Float32Array(n * 784);
      for (let i = 0; i < x.length; i++) x[i] = rng.next();
      return { x, digits: Int32Array.from({ length: n }, () => rng.int(10)) };
    };
    train = fake(nTrain);
    test = fake(nTest);
    inputs = 'random pixels (MNIST not found)';
  }
  const labels = (digits: Int32Array, s: number[]) => Float32Array.from(digits, (d) => (s.includes(d) ? 1 : 0));
  const tasks = subsets.map(
    (s, t): TaskData => ({
      name: `t${t}:{${[...s].sort().join('')}}`,
      spec: { kind: 'binary' },
      train: { x: train.x, y: labels(train.digits, s), n: nTrain },
      test: { x: test.x, y: labels(test.digits, s), n: nTest },
    }),
  );
  return { bench: { name: `binary${T}`, kind: 'homogeneous', inputShape: [28, 28, 1], tasks, provenance: [] }, inputs };
}

/** Wraps every kernel of the active backend to track the peak of live tensor bytes (inputs + outputs). */
function trackTensorBytes(): () => number {
  const backend = tf.getBackend();
  const state = tf.engine().state;
  let peak = state.numBytes;
  for (const k of tf.getKernelsForBackend(backend)) {
    const inner = k.kernelFunc;
    const wrapped: tf.KernelFunc = (args) => {
      const out = inner(args);
      let bytes = state.numBytes;
      for (const o of Array.isArray(out) ? out : [out]) bytes += tf.util.sizeFromShape(o.shape) * tf.util.bytesPerElement(o.dtype);
      if (bytes > peak) peak = bytes;
      return out;
    };
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({ ...k, kernelFunc: wrapped });
  }
  return () => Math.max(peak, state.numBytes);
}

/**
 * This process's peak RSS: VmHWM on Linux (per address space, so it starts afresh at exec), else getrusage's
 * maxRSS (which on Linux a spawned child inherits from its parent's size at the fork).
 */
function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function child(a: ChildArgs): Promise<ChildResult> {
  await initEngine({ backend: a.backend });
  const { bench, inputs } = homogeneousBinary(a.T, a.steps * BATCH, 200);
  const peakTensorBytes = trackTensorBytes();
  const baseRssBytes = process.memoryUsage().rss;
  const fs = a.variant.startsWith('fs');
  // MTL: 3 epochs, the first untimed; FS: a dense warm-up epoch, then the masked epoch that is timed; PCGrad: 1 epoch.
  const epochs = a.variant === 'mtl' ? 3 : fs ? 2 : 1;
  const input: TrainConfigInput = {
    method: fs ? 'fs' : 'mtl',
    weighting: a.variant === 'pcgrad' ? 'pcgrad' : 'ew',
    keep: KEEP,
    epochs,
    batchSize: BATCH,
    validation: 0,
    seed: 0,
    backend: a.backend,
    fs: { warmupEpochs: 1, interval: 1, samples: FISHER_SAMPLES, placement: a.variant === 'fs-update' ? 'update' : 'forward' },
  };
  const config = parseTrainConfig(input);
  const firstTimedEpoch = a.variant === 'pcgrad' ? 0 : 1;
  const stepMs: number[] = [];
  let last = 0;
  let lastWarmupStep = 0;
  let firstMaskedStep = 0;
  const { result, model } = await trainModel(config, bench, {
    onProgress: (e) => {
      if (e.phase !== 'train') return;
      const now = performance.now();
      if (e.epoch >= firstTimedEpoch && e.step > 1 + a.skip) stepMs.push(now - last);
      if (e.epoch === 0 && e.step === e.steps) lastWarmupStep = now;
      if (e.epoch === 1 && e.step === 1) firstMaskedStep = now;
      last = now;
    },
  });
  const out: ChildResult = { stepMs, baseRssBytes, peakRssBytes: 0, peakTensorBytes: 0, inputs };
  try {
    if (fs) {
      out.maskUpdate = { inTrainerMs: firstMaskedStep - lastWarmupStep - median(stepMs), trainerFisherMs: result.timings.fisherSeconds * 1000 };
      if (a.breakdown) out.maskUpdate.parts = maskUpdateParts(bench, model, config);
    }
  } finally {
    model.dispose();
  }
  out.peakTensorBytes = peakTensorBytes();
  out.peakRssBytes = peakRss();
  return out;
}

/**
 * One FS mask update again, piece by piece, as the trainer runs it (trainer.ts: estimateFisher for every
 * task, the method's masksFor, then maskTensors and unionTensors), on the trained model.
 */
function maskUpdateParts(bench: Benchmark, model: Awaited<ReturnType<typeof trainModel>>['model'], config: ReturnType<typeof parseTrainConfig>) {
  const T = bench.tasks.length;
  const tr = bench.tasks[0].train;
  const x = tf.tensor4d(tr.x, [tr.n, ...bench.inputShape]);
  const ys = bench.tasks.map((t) => tf.tensor2d(t.train.y, [t.train.n, 1]));
  const rng = new Rng(3);
  const fisherMs: number[] = [];
  let downloadMs = 0;
  const scores: Float32Array[][] = [];
  for (let t = 0; t < T; t++) {
    const f0 = performance.now();
    const perm = rng.permutation(tr.n).slice(0, Math.min(FISHER_SAMPLES, tr.n));
    const st = tf.tidy(() => {
      const idx = tf.tensor1d(perm, 'int32');
      return fisherDiagonal(model.extractor, model.tower(t), model.heads[t], tf.gather(x, idx) as tf.Tensor4D, tf.gather(ys[t], idx) as tf.Tensor2D, bench.tasks[t].spec, config.fs.label);
    });
    const d0 = performance.now();
    scores.push(st.map((s) => s.dataSync() as Float32Array));
    downloadMs += performance.now() - d0;
    tf.dispose(st);
    fisherMs.push(performance.now() - f0);
  }
  tf.dispose([x, ...ys]);
  const specs = model.specs;
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const k0 = performance.now();
  const kc = cpu();
  const masks = createMethod(config).masksFor({ epoch: config.fs.warmupEpochs, specs, numTasks: T, current: null, fisher: (t) => scores[t] })!;
  const topKMs = performance.now() - k0;
  const topKCpuMs = cpu() - kc;
  const m0 = performance.now();
  const mc = cpu();
  // trainer.ts maskTensors + unionTensors
  const masksT = masks.map((m) => m.map((part, i) => tf.tensor(Float32Array.from(part), specs[i].shape)));
  const unionT = specs.map((s, i) => {
    const u = new Float32Array(masks[0][i].length);
    for (const m of masks) for (let j = 0; j < u.length; j++) u[j] = u[j] || m[i][j];
    return tf.tensor(u, s.shape);
  });
  const tensorsMs = performance.now() - m0;
  const tensorsCpuMs = cpu() - mc;
  tf.dispose([...masksT.flat(), ...unionT]);
  return { fisherMs, downloadMs, topKMs, tensorsMs, topKCpuMs, tensorsCpuMs };
}

// ---------------------------------------------------------------------------------------------------------
// Parent: runs the children, prints the table and the targets.

function runChild(a: ChildArgs): ChildResult {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', JSON.stringify(a)], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${LABELS[a.variant]}, T = ${a.T}: ${why}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

export interface ScalingOptions {
  quick?: boolean;
  tasks?: number[];
  backend?: 'native' | 'wasm';
  /** FS epoch on hetero3 / PyTorch, from bench/native.ts in the same run (reported with the targets). */
  fsEpochVsPytorch?: { ratio: number; target: number; engine: string } | null;
}

export async function benchScaling(opts: ScalingOptions = {}): Promise<void> {
  const quick = opts.quick ?? false;
  const tasks = opts.tasks ?? [2, 8, 40];
  const Tmax = Math.max(...tasks);
  const status = nativeStatus();
  const backend = opts.backend ?? (status.available ? 'native' : 'wasm');
  const info = await initEngine({ backend });
  const mtlRounds = quick ? 1 : 3;
  const steps = quick ? 6 : 12;
  const skip = quick ? 1 : 2;
  console.log(
    `## Cost as tasks grow: T binary tasks on one input set (homogeneous), MLP 784-512-512, batch ${BATCH}, p = ${KEEP}, ` +
      `Fisher N = ${FISHER_SAMPLES} per task`,
  );
  console.log(`engine: ${backend === 'native' ? 'native (built)' : `wasm (native engine: ${status.available ? 'not chosen' : status.reason})`}; ${describeEngine(info)}`);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${availableParallelism()} cores`);

  const base = { backend, steps, skip, breakdown: false };
  const results = new Map<string, ChildResult[]>();
  const key = (v: Variant, T: number) => `${v}/${T}`;
  const record = (v: Variant, T: number, r: ChildResult) => {
    const k = key(v, T);
    results.set(k, [...(results.get(k) ?? []), r]);
  };
  // MTL rounds interleaved over T (the ratio target compares them), the masked and weighted runs once each,
  // then one more MTL round, so that a slow spell of the machine is not all on one side of the ratio.
  const mtlRound = () => tasks.forEach((T) => record('mtl', T, runChild({ ...base, variant: 'mtl', T })));
  for (let r = 0; r < mtlRounds - 1; r++) mtlRound();
  for (const T of tasks) {
    for (const variant of ['fs-forward', 'fs-update', 'pcgrad'] as const) {
      record(variant, T, runChild({ ...base, variant, T, breakdown: variant === 'fs-forward' && T === Tmax }));
    }
  }
  mtlRound();
  console.log(`inputs: ${results.values().next().value![0].inputs}; each configuration in its own process`);

  /** A configuration's figures; for repeated ones, the round with the median step time. */
  const figure = (v: Variant, T: number) => {
    const rs = results.get(key(v, T))!;
    const meds = rs.map((r) => median(r.stepMs));
    const order = meds.map((m, i) => [m, i]).sort((a, b) => a[0] - b[0]);
    const pick = order[(order.length - 1) >> 1][1];
    return { r: rs[pick], ms: meds[pick], rounds: meds };
  };
  const variants: Variant[] = ['mtl', 'fs-forward', 'fs-update', 'pcgrad'];
  const header = ['', 'T', 'ms/step median [min–max]', `× T = ${tasks[0]}`, 'peak RSS MiB', 'peak tensors MiB'];
  const rows: string[][] = [];
  for (const v of variants) {
    const ref = figure(v, tasks[0]).ms;
    for (const T of tasks) {
      const { r, ms, rounds } = figure(v, T);
      const roundsNote = rounds.length > 1 ? ` (round medians ${rounds.map((m) => m.toFixed(1)).join(', ')})` : '';
      rows.push([
        T === tasks[0] ? LABELS[v] : '',
        String(T),
        `${ms.toFixed(1)} [${Math.min(...r.stepMs).toFixed(1)}–${Math.max(...r.stepMs).toFixed(1)}]${roundsNote}`,
        (ms / ref).toFixed(2),
        MiB(r.peakRssBytes),
        MiB(r.peakTensorBytes),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const timed = figure('mtl', tasks[0]).r.stepMs.length;
  const timedMasked = figure('fs-forward', tasks[0]).r.stepMs.length;
  const bases = [...results.values()].flat().map((r) => r.baseRssBytes);
  console.log(
    `timed steps per figure: MTL ${timed} (epochs 2–3 of ${steps} steps), FS ${timedMasked} (masked epoch, after a dense warm-up epoch), ` +
      `PCGrad ${figure('pcgrad', tasks[0]).r.stepMs.length} (first ${skip + 1} steps not timed); ` +
      `RSS before training (engine + data) ${MiB(Math.min(...bases))}–${MiB(Math.max(...bases))} MiB`,
  );

  // One FS mask update at the largest T: its parts, timed one by one on the trained model as the trainer runs them.
  const fsRun = figure('fs-forward', Tmax).r.maskUpdate!;
  const p = fsRun.parts!;
  const mtlMax = figure('mtl', Tmax).ms;
  const fsStepMax = figure('fs-forward', Tmax).ms;
  const fisherTotal = p.fisherMs.reduce((a, b) => a + b, 0);
  const updateMs = fisherTotal + p.topKMs + p.tensorsMs;
  const updateRatio = updateMs / mtlMax;
  console.log();
  console.log(`FS mask update at T = ${Tmax}: ${updateMs.toFixed(0)} ms =`);
  console.log(
    `  Fisher of all ${Tmax} tasks (N = ${FISHER_SAMPLES} each) ${fisherTotal.toFixed(0)} ms (${median(p.fisherMs).toFixed(1)} ms per task [${Math.min(...p.fisherMs).toFixed(1)}–${Math.max(...p.fisherMs).toFixed(1)}], ` +
      `of which downloading the scores ${p.downloadMs.toFixed(0)} ms)`,
  );
  console.log(
    `  + top-K masks ${p.topKMs.toFixed(0)} ms (${(p.topKMs / Tmax).toFixed(1)} ms per task; CPU time ${p.topKCpuMs.toFixed(0)} ms) ` +
      `+ masks as tensors and their union ${p.tensorsMs.toFixed(0)} ms (CPU time ${p.tensorsCpuMs.toFixed(0)} ms)`,
  );
  console.log(`  = ${updateRatio.toFixed(1)} MTL (EW) steps at T = ${Tmax} (${mtlMax.toFixed(1)} ms: the step this target divides by, the cheapest, one pass for all tasks)`);
  console.log(`  = ${(updateMs / fsStepMax).toFixed(2)} masked FS steps at T = ${Tmax} (${fsStepMax.toFixed(1)} ms, one pass per task; for context only)`);
  console.log(
    `  In the trainer, the first update (last warm-up step to first masked step, less one median masked step) took ${fsRun.inTrainerMs.toFixed(0)} ms, ` +
      `its Fisher timer ${fsRun.trainerFisherMs.toFixed(0)} ms: that also holds the first masked step's one-time extra cost.`,
  );
  console.log();
  console.log('Targets');
  const mtlRatio = mtlMax / figure('mtl', tasks[0]).ms;
  const holds = (ok: boolean) => (ok ? 'holds' : 'FAILS');
  console.log(`  MTL step, T = ${Tmax} / T = ${tasks[0]}                   ${mtlRatio.toFixed(2)}  (≤ 1.5)   ${holds(mtlRatio <= 1.5)}`);
  console.log(`  FS mask update, T = ${Tmax} / MTL (EW) step, T = ${Tmax}   ${updateRatio.toFixed(1)}  (≤ 10)    ${holds(updateRatio <= 10)}`);
  const n = opts.fsEpochVsPytorch;
  if (n) {
    console.log(`  FS epoch on hetero3, ${n.engine} / PyTorch (bench/native.ts, above)  ${n.ratio.toFixed(2)}  (≤ ${n.target})   ${holds(n.ratio <= n.target)}`);
  } else {
    console.log('  FS epoch on hetero3 / PyTorch: not measured in this run (bench/native.ts, or --with-native)');
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const childArgs = arg('--child');
  const main = async () => {
    if (childArgs) {
      console.log(JSON.stringify(await child(JSON.parse(childArgs) as ChildArgs)));
      return;
    }
    const quick = process.argv.includes('--quick');
    let fsEpochVsPytorch: ScalingOptions['fsEpochVsPytorch'] = null;
    if (process.argv.includes('--with-native')) {
      const { benchNative } = await import('./native.js');
      fsEpochVsPytorch = (await benchNative({ quick })).fsEpochVsPytorch;
    }
    await benchScaling({
      quick,
      tasks: arg('--tasks')?.split(',').map(Number),
      backend: arg('--backend') as 'native' | 'wasm' | undefined,
      fsEpochVsPytorch,
    });
  };
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
