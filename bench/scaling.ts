// Cost as tasks grow: ms per training step and peak memory against the number of tasks T, measured in one
// run, on T binary tasks over one input set (a homogeneous benchmark built in memory: MNIST images, task t
// asks "is the digit in S_t?" for a seeded random 5-digit subset S_t; random pixels when MNIST is absent).
// Shared MLP 784-512-512 (the default), batch 128, Adam, p = 0.3.
//   MTL (EW)        one forward and one backward pass for all tasks (the trainer's sharedStep)
//   FS forward      masks in force (timed after a one-epoch dense warm-up): one pass per task on S_t ⊙ θ
//   FS update       the same with a dense forward pass and masked updates
//   MTL+PCGrad      one pass per task; the T gradients are flattened into JS and combined there
// Per configuration, in a child process of its own (so that its peak RSS is its own): median ms per step
// after warm-up steps [min–max over the timed steps], peak RSS, and peak tfjs tensor bytes (sampled at every
// kernel launch, so intra-step peaks count).
// The targets compare figures measured side by side, in one more child process, over interleaved rounds (the
// machine is shared and its load drifts): per round an MTL run at the smallest T, an MTL run at the largest
// T, then one FS mask update at the largest T on that run's trained model, timed part by part as the trainer
// runs it (the Fisher estimate of every task, N = 256 each; the top-K masks; the masks as tensors). Ratios are
// per round; the median round's is the figure.
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

interface CommonArgs {
  backend: 'native' | 'wasm';
  /** Steps per epoch. */
  steps: number;
  /** Leading steps of a timed epoch not timed. */
  skip: number;
}

/** One configuration: its step times and memory. */
interface ConfigArgs extends CommonArgs {
  kind: 'config';
  variant: Variant;
  T: number;
}

/** The targets' figures: MTL at T0 and T, and the FS mask update at T, in interleaved rounds. */
interface TargetArgs extends CommonArgs {
  kind: 'targets';
  T0: number;
  T: number;
  rounds: number;
}

type ChildArgs = ConfigArgs | TargetArgs;

interface Parts {
  fisherMs: number[];
  /** Of which: the per-task scores' download (dataSync). */
  downloadMs: number;
  topKMs: number;
  tensorsMs: number;
}

interface TargetRound {
  mtl0: number[];
  mtlT: number[];
  parts: Parts;
}

interface MaskUpdate {
  /** In the trainer: from the last step of the warm-up epoch to the first masked step, less one median masked step. */
  inTrainerMs: number;
  /** The trainer's own timer around its T Fisher estimates. */
  trainerFisherMs: number;
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
// Children: one configuration each, and one for the targets' paired rounds.

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

const trainInput = (variant: Variant, a: CommonArgs, epochs: number): TrainConfigInput => ({
  method: variant.startsWith('fs') ? 'fs' : 'mtl',
  weighting: variant === 'pcgrad' ? 'pcgrad' : 'ew',
  keep: KEEP,
  epochs,
  batchSize: BATCH,
  validation: 0,
  seed: 0,
  backend: a.backend,
  fs: { warmupEpochs: 1, interval: 1, samples: FISHER_SAMPLES, placement: variant === 'fs-update' ? 'update' : 'forward' },
});

async function childConfig(a: ConfigArgs): Promise<ChildResult> {
  await initEngine({ backend: a.backend });
  const { bench, inputs } = homogeneousBinary(a.T, a.steps * BATCH, 200);
  const peakTensorBytes = trackTensorBytes();
  const baseRssBytes = process.memoryUsage().rss;
  const fs = a.variant.startsWith('fs');
  // MTL: 3 epochs, the first untimed; FS: a dense warm-up epoch, then the masked epoch that is timed; PCGrad: 1 epoch.
  const epochs = a.variant === 'mtl' ? 3 : fs ? 2 : 1;
  const config = parseTrainConfig(trainInput(a.variant, a, epochs));
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
  model.dispose();
  const out: ChildResult = { stepMs, baseRssBytes, peakRssBytes: 0, peakTensorBytes: 0, inputs };
  if (fs) out.maskUpdate = { inTrainerMs: firstMaskedStep - lastWarmupStep - median(stepMs), trainerFisherMs: result.timings.fisherSeconds * 1000 };
  out.peakTensorBytes = peakTensorBytes();
  out.peakRssBytes = peakRss();
  return out;
}

/** Step times of an MTL (EW) run of 2 epochs (the second timed), and its trained model. */
async function mtlSteps(bench: Benchmark, a: CommonArgs) {
  const stepMs: number[] = [];
  let last = 0;
  const trained = await trainModel(parseTrainConfig(trainInput('mtl', a, 2)), bench, {
    onProgress: (e) => {
      if (e.phase !== 'train') return;
      const now = performance.now();
      if (e.epoch === 1 && e.step > 1 + a.skip) stepMs.push(now - last);
      last = now;
    },
  });
  return { stepMs, model: trained.model };
}

async function childTargets(a: TargetArgs): Promise<{ rounds: TargetRound[] }> {
  await initEngine({ backend: a.backend });
  const n = a.steps * BATCH;
  const small = homogeneousBinary(a.T0, n, 200).bench;
  const large = homogeneousBinary(a.T, n, 200).bench;
  const fsConfig = parseTrainConfig(trainInput('fs-forward', a, 2));
  const rounds: TargetRound[] = [];
  for (let r = 0; r < a.rounds; r++) {
    const s = await mtlSteps(small, a);
    s.model.dispose();
    const l = await mtlSteps(large, a);
    try {
      rounds.push({ mtl0: s.stepMs, mtlT: l.stepMs, parts: maskUpdateParts(large, l.model, fsConfig) });
    } finally {
      l.model.dispose();
    }
  }
  return { rounds };
}

/**
 * One FS mask update, part by part, as the trainer runs it (trainer.ts: estimateFisher for every task, the
 * method's masksFor, then maskTensors and unionTensors), on a trained model.
 */
function maskUpdateParts(bench: Benchmark, model: Awaited<ReturnType<typeof trainModel>>['model'], config: ReturnType<typeof parseTrainConfig>): Parts {
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
  const k0 = performance.now();
  const method = createMethod(config);
  const masks = method.masksFor({ epoch: config.fs.warmupEpochs, specs, numTasks: T, fisher: (t) => scores[t] }, method.init(T)).masks!;
  const topKMs = performance.now() - k0;
  const m0 = performance.now();
  // trainer.ts maskTensors + unionTensors
  const masksT = masks.map((m) => m.map((part, i) => tf.tensor(Float32Array.from(part), specs[i].shape)));
  const unionT = specs.map((s, i) => {
    const u = new Float32Array(masks[0][i].length);
    for (const m of masks) for (let j = 0; j < u.length; j++) u[j] = u[j] || m[i][j];
    return tf.tensor(u, s.shape);
  });
  const tensorsMs = performance.now() - m0;
  tf.dispose([...masksT.flat(), ...unionT]);
  return { fisherMs, downloadMs, topKMs, tensorsMs };
}

// ---------------------------------------------------------------------------------------------------------
// Parent: runs the children, prints the table and the targets.

function runChild(a: ConfigArgs): ChildResult;
function runChild(a: TargetArgs): { rounds: TargetRound[] };
function runChild(a: ChildArgs): unknown {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', JSON.stringify(a)], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${a.kind === 'config' ? `${LABELS[a.variant]}, T = ${a.T}` : 'targets'}: ${why}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as unknown;
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
  const T0 = Math.min(...tasks);
  const Tmax = Math.max(...tasks);
  const status = nativeStatus();
  const backend = opts.backend ?? (status.available ? 'native' : 'wasm');
  const info = await initEngine({ backend });
  const common: CommonArgs = { backend, steps: quick ? 6 : 12, skip: quick ? 1 : 2 };
  const rounds = quick ? 1 : 3;
  console.log(
    `## Cost as tasks grow: T binary tasks on one input set (homogeneous), MLP 784-512-512, batch ${BATCH}, p = ${KEEP}, ` +
      `Fisher N = ${FISHER_SAMPLES} per task`,
  );
  console.log(`engine: ${backend === 'native' ? 'native (built)' : `wasm (native engine: ${status.available ? 'not chosen' : status.reason})`}; ${describeEngine(info)}`);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${availableParallelism()} cores`);

  const variants: Variant[] = ['mtl', 'fs-forward', 'fs-update', 'pcgrad'];
  const results = new Map<string, ChildResult>();
  for (const T of tasks) for (const variant of variants) results.set(`${variant}/${T}`, runChild({ ...common, kind: 'config', variant, T }));
  const targets = runChild({ ...common, kind: 'targets', T0, T: Tmax, rounds }).rounds;
  console.log(`inputs: ${results.values().next().value!.inputs}; each configuration in its own process`);

  const fig = (v: Variant, T: number) => results.get(`${v}/${T}`)!;
  const range = (xs: number[]) => `[${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`;
  const header = ['', 'T', 'ms/step median [min–max]', `× T = ${T0}`, 'peak RSS MiB', 'peak tensors MiB'];
  const rows: string[][] = [];
  for (const v of variants) {
    const ref = median(fig(v, T0).stepMs);
    for (const T of tasks) {
      const r = fig(v, T);
      const ms = median(r.stepMs);
      rows.push([T === tasks[0] ? LABELS[v] : '', String(T), `${ms.toFixed(1)} ${range(r.stepMs)}`, (ms / ref).toFixed(2), MiB(r.peakRssBytes), MiB(r.peakTensorBytes)]);
    }
  }
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const bases = [...results.values()].map((r) => r.baseRssBytes);
  console.log(
    `timed steps per figure: MTL ${fig('mtl', T0).stepMs.length} (epochs 2–3 of ${common.steps} steps), FS ${fig('fs-forward', T0).stepMs.length} ` +
      `(the masked epoch, after a dense warm-up epoch), PCGrad ${fig('pcgrad', T0).stepMs.length} (first ${common.skip + 1} steps of an epoch not timed); ` +
      `RSS before training (engine + data) ${MiB(Math.min(...bases))}–${MiB(Math.max(...bases))} MiB. ` +
      `The × T = ${T0} column compares processes run at different times; the targets below compare figures taken side by side.`,
  );
  const first = fig('fs-forward', Tmax).maskUpdate!;
  console.log(
    `FS (forward), T = ${Tmax}, in the trainer: the first mask update (last warm-up step to first masked step, less one median masked step) took ` +
      `${first.inTrainerMs.toFixed(0)} ms, ${first.trainerFisherMs.toFixed(0)} ms of it in the trainer's Fisher timer; it also holds the first masked step's one-time extra cost.`,
  );

  // Targets, from the paired rounds.
  const per = targets.map((t) => {
    const m0 = median(t.mtl0);
    const mT = median(t.mtlT);
    const fisher = t.parts.fisherMs.reduce((a, b) => a + b, 0);
    const update = fisher + t.parts.topKMs + t.parts.tensorsMs;
    return { m0, mT, fisher, update, mtlRatio: mT / m0, updateRatio: update / mT, t };
  });
  const mid = <K extends 'mtlRatio' | 'updateRatio'>(k: K) => [...per].sort((a, b) => a[k] - b[k])[(per.length - 1) >> 1];
  const list = (xs: number[], d = 2) => xs.map((x) => x.toFixed(d)).join(', ');
  console.log();
  console.log(`Side by side in one process, ${rounds} round(s) of: MTL (EW) at T = ${T0}, MTL (EW) at T = ${Tmax}, one FS mask update at T = ${Tmax} on that run's model`);
  console.log(`  MTL ms/step, T = ${T0}: ${list(per.map((p) => p.m0), 1)}; T = ${Tmax}: ${list(per.map((p) => p.mT), 1)} (medians of ${targets[0].mtl0.length} steps per round)`);
  const u = mid('updateRatio');
  const p = u.t.parts;
  console.log(`  FS mask update at T = ${Tmax}, ms: ${list(per.map((x) => x.update), 0)}; the median round's parts:`);
  console.log(
    `    Fisher of all ${Tmax} tasks ${u.fisher.toFixed(0)} ms (${median(p.fisherMs).toFixed(1)} ms per task ${range(p.fisherMs)}, of which downloading the scores ${p.downloadMs.toFixed(0)} ms)`,
  );
  console.log(
    `    + top-K masks ${p.topKMs.toFixed(0)} ms (${(p.topKMs / Tmax).toFixed(1)} ms per task) + masks as tensors and their union ${p.tensorsMs.toFixed(0)} ms`,
  );
  console.log(
    `    = ${u.updateRatio.toFixed(1)} MTL (EW) steps at T = ${Tmax} (${u.mT.toFixed(1)} ms: the step the target divides by, the cheapest one, one pass for all tasks); ` +
      `= ${(u.update / median(fig('fs-forward', Tmax).stepMs)).toFixed(2)} masked FS steps at T = ${Tmax} (from the table; for context only)`,
  );

  console.log();
  console.log('Targets (per-round ratios in brackets)');
  const holds = (ok: boolean) => (ok ? 'holds' : 'FAILS');
  const m = mid('mtlRatio');
  const line = (label: string, value: string, target: string, ok: boolean) => console.log(`  ${label.padEnd(52)} ${value.padEnd(22)} ${target.padEnd(8)} ${holds(ok)}`);
  line(`MTL (EW) step, T = ${Tmax} / T = ${T0}`, `${m.mtlRatio.toFixed(2)} [${list(per.map((x) => x.mtlRatio))}]`, '≤ 1.5', m.mtlRatio <= 1.5);
  line(`FS mask update, T = ${Tmax} / MTL (EW) step, T = ${Tmax}`, `${u.updateRatio.toFixed(1)} [${list(per.map((x) => x.updateRatio), 1)}]`, '≤ 10', u.updateRatio <= 10);
  const n = opts.fsEpochVsPytorch;
  if (n) line(`FS epoch on hetero3, ${n.engine} / PyTorch (bench/native.ts)`, n.ratio.toFixed(2), `≤ ${n.target}`, n.ratio <= n.target);
  else console.log('  FS epoch on hetero3 / PyTorch: not measured in this run (bench/native.ts, or --with-native)');
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
      const a = JSON.parse(childArgs) as ChildArgs;
      console.log(JSON.stringify(a.kind === 'config' ? await childConfig(a) : await childTargets(a)));
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
