// Native engine vs wasm vs PyTorch (issue #7), measured in one run on the same shapes:
//   MLP step    3 tasks, shared 784-512-512, batch 256 per task, Adam (fsmtl's trainer, MTL)
//   LeNet step  3 tasks, LeNet extractor, batch 128 per task, Adam
//   Fisher      one estimate, N = 256, the MLP (fisherDiagonal on 256 gathered examples)
//   FS epoch    hetero3 (3 × 8000 examples, batch 128, p = 0.3): Fisher update of every task + 63 masked steps
// fsmtl's figures are medians of step times read from the trainer's progress events; PyTorch's come from
// bench/pytorch.py (run with /usr/bin/python3, OMP_WAIT_POLICY=PASSIVE and the OPENBLAS_CORETYPE fsmtl chooses).
// The machine is noisy (2 shared cores), so fsmtl and PyTorch are measured in interleaved rounds and each
// figure is the median over rounds, printed with its range.
//   node --import tsx bench/native.ts [--quick] [--engines native,wasm] [--rounds n]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeEngine, initEngine, nativeStatus, tf } from '../src/engine/index.js';
import { chooseCoretype } from '../src/engine/native/cpu.js';
import { benchmarkFor, runTraining } from '../src/experiments/run.js';
import { makeExtractor } from '../src/model/extractor.js';
import { MultiTaskModel } from '../src/model/multitask-model.js';
import { fisherDiagonal } from '../src/sparse/fisher.js';
import { taskKind } from '../src/tasks/registry.js';
import { parseTrainConfig, type TrainConfigInput } from '../src/train/config.js';
import { Rng } from '../src/util/rng.js';

export interface Figures {
  mlpStepMs: number;
  lenetStepMs: number;
  fisherMs: number;
  fsEpochMs: number;
}

const TARGETS: Record<keyof Figures, number> = { mlpStepMs: 1.2, lenetStepMs: 1.5, fsEpochMs: 1.3, fisherMs: 1.5 };
const LABELS: Record<keyof Figures, string> = {
  mlpStepMs: 'MLP step, 3 × 256, Adam (ms)',
  lenetStepMs: 'LeNet step, 3 × 128, Adam (ms)',
  fisherMs: 'Fisher estimate, N = 256 (ms)',
  fsEpochMs: 'FS epoch, hetero3 (ms)',
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

/** Median training-step time of a run, from the gaps between its 'train' progress events (warm-up steps dropped). */
async function stepMs(config: TrainConfigInput, warmup: number): Promise<number> {
  const gaps: number[] = [];
  let last = 0;
  await runTraining(config, {
    onProgress: (e) => {
      const now = performance.now();
      if (e.phase === 'train' && e.step > 1) gaps.push(now - last);
      last = now;
    },
  });
  return median(gaps.slice(warmup));
}

/** Median time of one Fisher estimate (gather 256 examples + fisherDiagonal), as the trainer runs it. */
function fisherMs(config: TrainConfigInput, reps: number): number {
  const c = parseTrainConfig(config);
  const bench = benchmarkFor(c);
  const extractor = makeExtractor(c.arch, bench.inputShape, c.hidden);
  const model = new MultiTaskModel(extractor, bench.tasks.map((t) => taskKind(t.spec).outputs(t.spec)), 0);
  const task = bench.tasks[0].train;
  const x = tf.tensor4d(task.x, [task.n, ...bench.inputShape]);
  const y = tf.tensor2d(task.y, [task.n, 1]);
  const rng = new Rng(1);
  const once = () => {
    const scores = tf.tidy(() => {
      const idx = tf.tensor1d(rng.permutation(task.n).slice(0, 256), 'int32');
      return fisherDiagonal(extractor, model.tower(0), model.heads[0], tf.gather(x, idx) as tf.Tensor4D, tf.gather(y, idx) as tf.Tensor2D, bench.tasks[0].spec, 'predicted');
    });
    scores.forEach((s) => s.dataSync());
    tf.dispose(scores);
  };
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    once();
    if (i >= 2) times.push(performance.now() - t0);
  }
  tf.dispose([x, y]);
  model.dispose();
  return median(times);
}

/** Median epoch time of an FS run whose every epoch re-estimates the masks (the first epoch is warm-up). */
async function fsEpochMs(epochs: number): Promise<number> {
  const r = await runTraining({ benchmark: 'hetero3', method: 'fs', keep: 0.3, epochs, batchSize: 128, testPerTask: 200, fs: { warmupEpochs: 0, interval: 1, samples: 256 } });
  return median(r.history.slice(1).map((h) => h.seconds * 1000));
}

export async function measureFsmtl(quick = false): Promise<Figures> {
  const base: TrainConfigInput = { benchmark: 'hetero3', method: 'mtl', testPerTask: 200, epochs: 1 };
  return {
    mlpStepMs: await stepMs({ ...base, batchSize: 256, trainPerTask: quick ? 1280 : 5120 }, 2),
    lenetStepMs: await stepMs({ ...base, arch: 'lenet', batchSize: 128, trainPerTask: quick ? 640 : 2560 }, 2),
    fisherMs: fisherMs({ ...base }, quick ? 3 : 10),
    fsEpochMs: await fsEpochMs(quick ? 2 : 3),
  };
}

/** PyTorch's figures from bench/pytorch.py, or the reason there are none. */
export function measurePytorch(threads: number, quick = false): { figures?: Figures; raw?: Record<string, unknown>; skipped?: string } {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return { skipped: `${python} not found` };
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: "PyTorch not installed (sudo apt-get install python3-torch libopenblas0-pthread)" };
  const coretype = chooseCoretype();
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  // The same OpenBLAS kernels as fsmtl's native engine, so that the comparison is fair.
  if (coretype.value) env['OPENBLAS_CORETYPE'] = coretype.value;
  const script = fileURLToPath(new URL('./pytorch.py', import.meta.url));
  const r = spawnSync(python, [script, '--threads', String(threads), ...(quick ? ['--quick'] : [])], { encoding: 'utf8', env, timeout: 600_000 });
  if (r.status !== 0) return { skipped: `bench/pytorch.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  const raw = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number & Record<string, unknown>>;
  return {
    raw,
    figures: { mlpStepMs: raw['mlp_step_ms'], lenetStepMs: raw['lenet_step_ms'], fisherMs: raw['fisher_ms'], fsEpochMs: raw['fs_epoch_ms'] },
  };
}

/** Per figure: the median over rounds and the range. */
function summarise(rounds: Figures[]): { median: Figures; min: Figures; max: Figures } {
  const keys = Object.keys(LABELS) as (keyof Figures)[];
  const pick = (f: (xs: number[]) => number) => Object.fromEntries(keys.map((k) => [k, f(rounds.map((r) => r[k]))])) as unknown as Figures;
  return { median: pick(median), min: pick((xs) => Math.min(...xs)), max: pick((xs) => Math.max(...xs)) };
}

/** What bench.ts carries into its later sections: the FS epoch ratio of the first engine to PyTorch (null without PyTorch). */
export interface NativeSummary {
  fsEpochVsPytorch: { ratio: number; target: number; engine: string } | null;
}

export async function benchNative(opts: { quick?: boolean; engines?: string[]; rounds?: number } = {}): Promise<NativeSummary> {
  const quick = opts.quick ?? false;
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const status = nativeStatus();
  const wanted = opts.engines ?? ['native', 'wasm'];
  const engines = wanted.filter((e) => e !== 'native' || status.available);
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`## Native engine vs wasm vs PyTorch (issue #7); load average before: ${load}, ${availableParallelism()} cores; median of ${rounds} interleaved round(s) [range]`);
  if (!status.available && wanted.includes('native')) console.log(`native engine: ${status.reason}`);
  const measured: Record<string, Figures[]> = {};
  let threads = availableParallelism();
  let torchSkipped: string | undefined;
  let torchRaw: Record<string, unknown> | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const backend of engines) {
      const info = await initEngine({ backend: backend as 'native' | 'wasm' });
      if (backend === 'native') threads = info.threads;
      if (round === 0) console.log(`${backend}: ${describeEngine(info)}`);
      (measured[backend] ??= []).push(await measureFsmtl(quick));
    }
    if (torchSkipped) continue;
    const torch = measurePytorch(threads, quick);
    if (torch.figures) {
      (measured['pytorch'] ??= []).push(torch.figures);
      torchRaw = torch.raw;
    } else {
      torchSkipped = torch.skipped;
    }
  }
  if (torchRaw) {
    const raw = torchRaw;
    console.log(`pytorch: ${raw['torch']}, ${raw['threads']} thread(s), OPENBLAS_CORETYPE=${raw['openblas_coretype']}, OMP_WAIT_POLICY=${raw['omp_wait_policy']}; Fisher forms, last round (ms): ${JSON.stringify(raw['fisher_forms_ms'])}`);
  } else {
    console.log(`pytorch: skipped (${torchSkipped})`);
  }
  const results = Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, summarise(v)]));
  const cols = Object.keys(results);
  const hasTorch = 'pytorch' in results;
  const ratioCols = hasTorch ? cols.filter((c) => c !== 'pytorch') : [];
  const header = ['', ...cols, ...ratioCols.map((c) => `${c}/pytorch`), 'target'];
  const rows = (Object.keys(LABELS) as (keyof Figures)[]).map((k) => {
    const cells = cols.map((c) => {
      const r = results[c];
      return rounds > 1 ? `${r.median[k].toFixed(1)} [${r.min[k].toFixed(1)}–${r.max[k].toFixed(1)}]` : r.median[k].toFixed(1);
    });
    const ratios = ratioCols.map((c) => {
      const r = results[c].median[k] / results['pytorch'].median[k];
      return `${r.toFixed(2)}${r <= TARGETS[k] ? '' : ' ✗'}`;
    });
    return [LABELS[k], ...cells, ...ratios, `≤ ${TARGETS[k]}`];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log();
  const first = ratioCols[0];
  return {
    fsEpochVsPytorch: first
      ? { ratio: results[first].median.fsEpochMs / results['pytorch'].median.fsEpochMs, target: TARGETS.fsEpochMs, engine: first }
      : null,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--engines');
  const r = process.argv.indexOf('--rounds');
  benchNative({
    quick: process.argv.includes('--quick'),
    engines: i >= 0 ? process.argv[i + 1].split(',') : undefined,
    rounds: r >= 0 ? Number(process.argv[r + 1]) : undefined,
  }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
