// Where a step's time goes: wraps every kernel of the active backend with a timer, runs the step, and
// reports milliseconds per kernel and the rest (tfjs bookkeeping, autodiff, JS) per step.
//   node --import tsx bench/profile.ts [--backend native|wasm] [--net mlp|lenet|train-mlp|fisher]
import * as tf from '@tensorflow/tfjs-core';

export interface KernelProfile {
  msPerStep: number;
  kernels: Array<{ name: string; ms: number; calls: number }>;
}

/** Times `steps` calls of `step` with every kernel of the active backend wrapped (after `warmup` calls). */
export function profileKernels(step: () => void, steps = 10, warmup = 2): KernelProfile {
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
    for (let i = 0; i < warmup; i++) step();
    totals.clear();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    const msPerStep = (performance.now() - t0) / steps;
    const kernels = [...totals.entries()]
      .map(([name, v]) => ({ name, ms: v.ms / steps, calls: v.calls / steps }))
      .sort((a, b) => b.ms - a.ms);
    return { msPerStep, kernels };
  } finally {
    for (const k of configs) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  }
}

export function formatProfile(p: KernelProfile, top = 12): string {
  const inKernels = p.kernels.reduce((a, k) => a + k.ms, 0);
  const lines = [`${p.msPerStep.toFixed(1)} ms/step: kernels ${inKernels.toFixed(1)} ms, outside kernels (tfjs, autodiff, JS) ${(p.msPerStep - inKernels).toFixed(1)} ms`];
  for (const k of p.kernels.slice(0, top)) {
    lines.push(`  ${k.name.padEnd(24)} ${k.ms.toFixed(2).padStart(7)} ms  ${((100 * k.ms) / p.msPerStep).toFixed(0).padStart(3)}%  ${k.calls.toFixed(0).padStart(4)} calls`);
  }
  return lines.join('\n');
}
