// Dense prediction (issue 16, item 7): one MTL training step of the segnet extractor on a scenes-shaped
// batch and one Fisher estimate on it, native (and wasm) against PyTorch on the same architecture and
// shapes, in one run (bench/dense.py is the PyTorch side).
//   step    batch 8 of 64×64×1 inputs, 2 per-pixel tasks: segmentation (21 classes, softmax cross-entropy
//           over pixels) and depth (1 output, L1); as fsmtl's trainer runs MTL on inputs all tasks share
//           (its sharedStep): one forward and one backward pass for both heads, the extractor's gradient
//           that of Σ_t L_t over T, fsmtl's Adam (lr 1e-3) on every parameter.
//   Fisher  one estimate, one task (as the trainer asks for them): the batched per-example Fisher
//           (src/sparse/fisher.ts) on the same 8 examples; segmentation with each pixel's predicted class
//           (categorical per pixel), and depth with the true depth under a per-pixel Laplace likelihood
//           (log p = −Σ|out − y|); one forward and one backward pass each.
// Labels are random (the figures are about speed). Each figure is the median over interleaved rounds.
//   node --import tsx bench/dense.ts [--quick] [--engines native,wasm] [--rounds n] [--profile] [--shape HxWxC] [--batch n]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeEngine, initEngine, nativeStatus, tf } from '../src/engine/index.js';
import { chooseCoretype } from '../src/engine/native/cpu.js';
import { makeExtractor } from '../src/model/extractor.js';
import { applyHead } from '../src/model/head.js';
import { MultiTaskModel } from '../src/model/multitask-model.js';
import { adam } from '../src/optim/adam.js';
import { fisherFromLikelihood } from '../src/sparse/fisher.js';
import type { FisherLikelihood } from '../src/tasks/types.js';
import { formatProfile, profileKernels, type KernelProfile } from './profile.js';

/** The bench's input shape and batch: scenes-shaped by default (issue 16); `--shape 128x256x3` is Cityscapes'. */
export const DENSE_SHAPE: [number, number, number] = [64, 64, 1];
export const DENSE_BATCH = 8;
let shape = DENSE_SHAPE;
let batch = DENSE_BATCH;
export const SEG_CLASSES = 21;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

/** Median wall-clock and process CPU milliseconds (all threads) per call. */
function timeMs(fn: () => void, reps: number, warmup: number): { wall: number; cpu: number } {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Per-pixel softmax cross-entropy (mean over pixels and examples) of logits [N, P·C] against labels [N, P]. */
function segLoss(out: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const logits = tf.reshape(out, [-1, SEG_CLASSES]) as tf.Tensor2D;
  // float32 one-hot: fsmtl's OneHot kernel writes it directly (int32 would take the stock kernel and a Cast).
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(labels, [-1]) as tf.Tensor1D, SEG_CLASSES, 1, 0, 'float32'), logits) as tf.Scalar;
}

/** Mean absolute error over pixels. */
const depthLoss = (out: tf.Tensor, depth: tf.Tensor): tf.Scalar => tf.mean(tf.abs(tf.sub(out, depth))) as tf.Scalar;

const segFisher: FisherLikelihood = {
  terms: 1,
  objective: (out) => {
    const lp = tf.logSoftmax(tf.reshape(out, [-1, SEG_CLASSES]) as tf.Tensor2D);
    const picked = tf.oneHot(tf.argMax(lp, 1) as tf.Tensor1D, SEG_CLASSES, 1, 0, 'float32');
    return tf.sum(tf.mul(lp, picked)) as tf.Scalar;
  },
  weight: () => null,
};
const depthFisher: FisherLikelihood = {
  terms: 1,
  objective: (out, y) => tf.neg(tf.sum(tf.abs(tf.sub(out, y)))) as tf.Scalar,
  weight: () => null,
};

export interface DenseFigures {
  stepMs: number;
  /** One Fisher estimate, the segmentation task's (the costlier: argmax targets over 21 classes). */
  fisherMs: number;
  /** The depth task's estimate. */
  depthFisherMs: number;
  /** Process CPU time (every thread) per step and per estimate: steadier than wall time on a loaded machine. */
  stepCpuMs: number;
  fisherCpuMs: number;
  depthFisherCpuMs: number;
}

/** The two figures on the active engine, and a function that profiles one step and one Fisher estimate. */
export async function measureDense(quick = false, withProfile = false): Promise<DenseFigures & { profile?: string }> {
  const [h, w] = shape;
  const n = batch;
  const extractor = makeExtractor('segnet', shape, []);
  const model = new MultiTaskModel(extractor, [SEG_CLASSES, 1], 0);
  const x = tf.randomUniform([n, ...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
  const seg = tf.randomUniform([n, h * w], 0, SEG_CLASSES, 'int32', 2);
  const depth = tf.randomUniform([n, h * w], 0, 1, 'float32', 3);
  const labels = [seg, depth];
  const losses = [segLoss, depthLoss];
  const tower = model.tower(0);
  const vars = model.allVariables(); // tower, then heads: the trainer's order
  const optimizer = adam(1e-3); // fsmtl's Adam, as the trainer runs it
  let state = optimizer.init(vars);
  // As the trainer's shared step (MTL on homogeneous inputs, src/train/trainer.ts sharedStep): one
  // forward and one backward pass for both tasks; the extractor's gradient is that of Σ_t L_t over T.
  const step = () => {
    const next = tf.tidy(() => {
      const n = tower.length;
      const { grads } = tf.valueAndGrads((...w: tf.Tensor[]) => {
        const feats = model.features(x, w.slice(0, n));
        const ls = [0, 1].map((t) => losses[t](applyHead(extractor, feats, w[n + 2 * t], w[n + 2 * t + 1]), labels[t]));
        return tf.addN(ls) as tf.Scalar;
      })(vars);
      const r = optimizer.update([...grads.slice(0, n).map((g) => tf.div(g, 2)), ...grads.slice(n)], state, vars);
      vars.forEach((v, i) => v.assign(tf.add(v, r.updates[i])));
      return [...r.state.m, ...r.state.v];
    });
    tf.dispose([...state.m, ...state.v]);
    state = { count: state.count + 1, m: next.slice(0, vars.length), v: next.slice(vars.length) };
    tower[0].dataSync(); // wait for the update
  };
  const likelihoods = [segFisher, depthFisher];
  /** One Fisher estimate: task t's, as the trainer asks for it (fisherDiagonal of one task). */
  const fisher = (t: number) => () => {
    const f = fisherFromLikelihood(extractor, tower, model.heads[t], x, labels[t] as tf.Tensor2D, likelihoods[t]);
    f.forEach((s) => s.dataSync());
    tf.dispose(f);
  };
  const reps = quick ? 3 : 10;
  const stepT = timeMs(step, reps, 2);
  const segT = timeMs(fisher(0), reps, 2);
  const depthT = timeMs(fisher(1), reps, 2);
  let profile: string | undefined;
  if (withProfile) {
    // Per kernel, the least time over a few profiled runs: the machine is shared, and preemption only adds.
    const least = async (fn: () => void, unit: string) => {
      const runs: KernelProfile[] = [];
      for (let i = 0; i < 5; i++) runs.push(await profileKernels(fn));
      const names = new Set(runs.flatMap((r) => r.kernels.map((k) => k.name)));
      const kernels = [...names].map((name) => {
        const ks = runs.map((r) => r.kernels.find((k) => k.name === name) ?? { name, ms: 0, calls: 0 });
        return { name, ms: Math.min(...ks.map((k) => k.ms)), calls: ks[0].calls };
      }).sort((a, b) => b.ms - a.ms);
      return formatProfile({ totalMs: Math.min(...runs.map((r) => r.totalMs)), kernels }, unit, 14);
    };
    profile = `${await least(step, 'step')}\n${await least(fisher(0), 'Fisher (segmentation)')}`;
  }
  tf.dispose([x, seg, depth, ...state.m, ...state.v]);
  model.dispose();
  return {
    stepMs: stepT.wall,
    fisherMs: segT.wall,
    depthFisherMs: depthT.wall,
    stepCpuMs: stepT.cpu,
    fisherCpuMs: segT.cpu,
    depthFisherCpuMs: depthT.cpu,
    profile,
  };
}

/** PyTorch's figures from bench/dense.py, or the reason there are none. */
export function measureDensePytorch(threads: number, quick = false): { figures?: DenseFigures; raw?: Record<string, unknown>; skipped?: string } {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return { skipped: `${python} not found` };
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'PyTorch not installed (sudo apt-get install python3-torch libopenblas0-pthread)' };
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const coretype = chooseCoretype();
  if (coretype.value) env['OPENBLAS_CORETYPE'] = coretype.value;
  const script = fileURLToPath(new URL('./dense.py', import.meta.url));
  const args = [script, '--threads', String(threads), '--shape', shape.join('x'), '--batch', String(batch), ...(quick ? ['--quick'] : [])];
  const r = spawnSync(python, args, { encoding: 'utf8', env, timeout: 600_000 });
  if (r.status !== 0) return { skipped: `bench/dense.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  const raw = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  return {
    raw,
    figures: {
      stepMs: raw['step_ms'],
      fisherMs: raw['fisher_ms'],
      depthFisherMs: raw['depth_fisher_ms'],
      stepCpuMs: raw['step_cpu_ms'],
      fisherCpuMs: raw['fisher_cpu_ms'],
      depthFisherCpuMs: raw['depth_fisher_cpu_ms'],
    },
  };
}

export async function benchDense(
  opts: { quick?: boolean; engines?: string[]; rounds?: number; profile?: boolean; shape?: [number, number, number]; batch?: number } = {},
): Promise<void> {
  const quick = opts.quick ?? false;
  shape = opts.shape ?? DENSE_SHAPE;
  batch = opts.batch ?? DENSE_BATCH;
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const status = nativeStatus();
  const engines = (opts.engines ?? ['native']).filter((e) => e !== 'native' || status.available);
  console.log(
    `## Dense prediction: segnet on ${shape.join('×')}, batch ${batch}, segmentation (${SEG_CLASSES} classes) + depth; ` +
      `load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; median of ${rounds} interleaved round(s) [range]`,
  );
  if (!status.available) console.log(`native engine: ${status.reason}`);
  const measured: Record<string, DenseFigures[]> = {};
  let threads = availableParallelism();
  let torchSkipped: string | undefined;
  let torchRaw: Record<string, unknown> | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const backend of engines) {
      const info = await initEngine({ backend: backend as 'native' | 'wasm' });
      if (backend === 'native') threads = info.threads;
      if (round === 0) console.log(`${backend}: ${describeEngine(info)}`);
      const m = await measureDense(quick, opts.profile && round === 0);
      const { profile, ...figures } = m;
      (measured[backend] ??= []).push(figures);
      if (profile) console.log(profile);
    }
    if (torchSkipped) continue;
    const torch = measureDensePytorch(threads, quick);
    if (torch.figures) {
      (measured['pytorch'] ??= []).push(torch.figures);
      torchRaw = torch.raw;
    } else torchSkipped = torch.skipped;
  }
  console.log(torchRaw ? `pytorch: ${torchRaw['torch']}, ${torchRaw['threads']} thread(s); Fisher forms, last round (ms): ${JSON.stringify(torchRaw['fisher_forms_ms'])}, the faster counts` : `pytorch: skipped (${torchSkipped})`);
  const fmt = (xs: number[]) => (xs.length > 1 ? `${median(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]` : median(xs).toFixed(1));
  for (const [clock, stepKey, fisherKey, depthKey] of [
    ['wall', 'stepMs', 'fisherMs', 'depthFisherMs'],
    ['CPU', 'stepCpuMs', 'fisherCpuMs', 'depthFisherCpuMs'],
  ] as const) {
    console.log(`${clock} time (ms):`);
    for (const [name, figs] of Object.entries(measured)) {
      const step = figs.map((f) => f[stepKey]);
      const fisher = figs.map((f) => f[fisherKey]);
      let line = `  ${name.padEnd(8)} step ${fmt(step)}, Fisher (N = ${batch}): segmentation ${fmt(fisher)}, depth ${fmt(figs.map((f) => f[depthKey]))}; segmentation Fisher/step ${(median(fisher) / median(step)).toFixed(2)} (target ≤ 1)`;
      if (name !== 'pytorch' && measured['pytorch']) {
        const r = median(step) / median(measured['pytorch'].map((f) => f[stepKey]));
        line += `; step/pytorch ${r.toFixed(2)}${r <= 1.2 ? '' : ' ✗'} (target ≤ 1.2)`;
      }
      console.log(line);
    }
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--engines');
  const r = process.argv.indexOf('--rounds');
  const sh = process.argv.indexOf('--shape');
  const b = process.argv.indexOf('--batch');
  benchDense({
    shape: sh >= 0 ? (process.argv[sh + 1].split('x').map(Number) as [number, number, number]) : undefined,
    batch: b >= 0 ? Number(process.argv[b + 1]) : undefined,
    quick: process.argv.includes('--quick'),
    engines: i >= 0 ? process.argv[i + 1].split(',') : undefined,
    rounds: r >= 0 ? Number(process.argv[r + 1]) : undefined,
    profile: process.argv.includes('--profile'),
  }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench failed: ${(e as Error).stack}`);
      process.exit(1);
    },
  );
}
