// Where the time goes: wraps every kernel of the active backend with a timer while a function runs, and
// reports milliseconds per kernel and the rest (tfjs bookkeeping, autodiff, JS).
//   node --import tsx bench/profile.ts [--backend native|wasm] [--what mlp|lenet|fisher|fs] [--threads n]
//   (fs: masked steps of an FS run at p = 0.3, batch 128 per task, as in the bench's FS epoch)
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

export interface KernelProfile {
  totalMs: number;
  kernels: Array<{ name: string; ms: number; calls: number }>;
}

/** Runs `fn` with every kernel of the active backend timed; per-kernel times are divided by `per`. */
export async function profileKernels(fn: () => unknown, per = 1): Promise<KernelProfile> {
  const backend = tf.getBackend();
  const configs = tf.getKernelsForBackend(backend);
  const totals = new Map<string, { ms: number; calls: number }>();
  let depth = 0;
  for (const k of configs) {
    const inner = k.kernelFunc;
    const wrapped: tf.KernelFunc = (args) => {
      // Only the outermost kernel counts: fsmtl's kernels call other kernels.
      if (depth++ > 0) {
        try {
          return inner(args);
        } finally {
          depth--;
        }
      }
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        depth--;
        const e = totals.get(k.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        totals.set(k.kernelName, e);
      }
    };
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({ ...k, kernelFunc: wrapped });
  }
  try {
    const t0 = performance.now();
    await fn();
    const totalMs = (performance.now() - t0) / per;
    const kernels = [...totals.entries()].map(([name, v]) => ({ name, ms: v.ms / per, calls: v.calls / per })).sort((a, b) => b.ms - a.ms);
    return { totalMs, kernels };
  } finally {
    for (const k of configs) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  }
}

export function formatProfile(p: KernelProfile, unit: string, top = 12): string {
  const inKernels = p.kernels.reduce((a, k) => a + k.ms, 0);
  const lines = [
    `${p.totalMs.toFixed(1)} ms/${unit}: kernels ${inKernels.toFixed(1)} ms, outside kernels (tfjs bookkeeping, autodiff, JS) ${(p.totalMs - inKernels).toFixed(1)} ms`,
  ];
  for (const k of p.kernels.slice(0, top)) {
    lines.push(`  ${k.name.padEnd(22)} ${k.ms.toFixed(2).padStart(8)} ms ${((100 * k.ms) / p.totalMs).toFixed(0).padStart(3)}%  ${k.calls.toFixed(1).padStart(6)} calls`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { initEngine, describeEngine } = await import('../src/engine/index.js');
  const { runTraining } = await import('../src/experiments/run.js');
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : def;
  };
  const backend = arg('--backend', 'native') as 'native' | 'wasm';
  const what = arg('--what', 'mlp');
  const threads = process.argv.includes('--threads') ? Number(arg('--threads', '0')) : undefined;
  console.log(describeEngine(await initEngine({ backend, threads })));
  const base = { benchmark: 'hetero3' as const, testPerTask: 200, epochs: 1 };
  const config =
    what === 'lenet'
      ? { ...base, method: 'mtl' as const, arch: 'lenet' as const, batchSize: 128, trainPerTask: 1280 }
      : what === 'fisher'
        ? { ...base, method: 'fs' as const, epochs: 2, batchSize: 128, trainPerTask: 256, fs: { warmupEpochs: 0, interval: 1 } }
        : what === 'fs'
          ? { ...base, method: 'fs' as const, keep: 0.3, batchSize: 128, trainPerTask: 2560, fs: { warmupEpochs: 0 } }
          : { ...base, method: 'mtl' as const, batchSize: 256, trainPerTask: 2560 };
  await runTraining(config); // warm-up (and data loading)
  let steps = 1;
  const p = await profileKernels(async () => {
    const r = await runTraining(config);
    steps = what === 'fisher' ? r.timings.fisherEstimates : r.timings.steps;
  });
  p.totalMs /= steps;
  for (const k of p.kernels) {
    k.ms /= steps;
    k.calls /= steps;
  }
  console.log(formatProfile(p, what === 'fisher' ? 'run per Fisher estimate' : 'step (whole run / steps)', 25));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exitCode = 1;
  });
}
