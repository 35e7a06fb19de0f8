// Hooks fsmtl's wasm support into initEngine(): threads (see threads.ts) and the replacement kernels.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { enginePlatform, registerBackendInstaller, type EngineOptions } from '../setup.js';
import { captureStock } from './backend.js';
import { batchMatMulKernel, fusedMatMulKernel } from './matmul.js';
import { conv2DBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputKernel } from './conv2d-backprop-input.js';
import { CONV_FISHER } from '../conv-fisher.js';
import { convFisherKernel } from './conv-fisher.js';
import { maxPoolGradKernel } from './maxpool-grad.js';
import { resizeNearestNeighborGradKernel } from './resize-nearest-grad.js';
import { oneHotKernel } from './one-hot.js';
import { gatherV2Kernel } from './gather.js';
import { sumKernel } from './sum.js';

/** Threads the initialised wasm backend computes with (1 if unknown). */
function wasmThreads(): number {
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}

const FSMTL_KERNELS: ReadonlyArray<{ name: string; kernelFunc: tf.KernelFunc }> = [
  { name: tf.BatchMatMul, kernelFunc: batchMatMulKernel as tf.KernelFunc },
  { name: tf._FusedMatMul, kernelFunc: fusedMatMulKernel as tf.KernelFunc },
  { name: tf.Conv2DBackpropFilter, kernelFunc: conv2DBackpropFilterKernel as tf.KernelFunc },
  { name: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInputKernel as tf.KernelFunc },
  { name: tf.MaxPoolGrad, kernelFunc: maxPoolGradKernel as tf.KernelFunc },
  { name: tf.OneHot, kernelFunc: oneHotKernel as tf.KernelFunc },
  { name: tf.GatherV2, kernelFunc: gatherV2Kernel as tf.KernelFunc },
  { name: tf.Sum, kernelFunc: sumKernel as tf.KernelFunc },
  { name: CONV_FISHER, kernelFunc: convFisherKernel as tf.KernelFunc },
  { name: tf.ResizeNearestNeighborGrad, kernelFunc: resizeNearestNeighborGradKernel as tf.KernelFunc },
];

/** Stock kernels fsmtl's kernels call into; captured before anything is replaced. */
const DELEGATES = [tf.Transpose, tf.Conv2D, tf.Prelu];

let registered = false;

function unregisterIfPresent(name: string): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
}

function registerFsmtl(): void {
  for (const { name, kernelFunc } of FSMTL_KERNELS) {
    const stock = captureStock(name);
    unregisterIfPresent(name);
    // Keep the stock setupFunc: it binds the C++ function the stock kernelFunc (our fallback) calls.
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc,
      setupFunc: stock?.setupFunc,
      disposeFunc: stock?.disposeFunc,
    });
  }
  registered = true;
}

/** Replaces the stock wasm kernels with fsmtl's (idempotent). Returns the names of the kernels replaced or added. */
export function registerWasmKernels(): string[] {
  for (const name of [...FSMTL_KERNELS.map((k) => k.name), ...DELEGATES]) captureStock(name);
  if (!registered) registerFsmtl();
  return FSMTL_KERNELS.map((k) => k.name);
}

/**
 * Puts the stock tfjs-backend-wasm kernels back (Conv2DBackpropFilter then has none) and returns a function
 * that re-installs fsmtl's. For benchmarks and debugging.
 */
export function useStockWasmKernels(): () => void {
  registerWasmKernels();
  for (const { name } of FSMTL_KERNELS) {
    unregisterIfPresent(name);
    const stock = captureStock(name);
    if (stock) tf.registerKernel(stock);
  }
  registered = false;
  return () => {
    if (registered) return;
    for (const { name } of FSMTL_KERNELS) unregisterIfPresent(name);
    registerFsmtl();
  };
}

/** The wasm installer initEngine() runs before switching to 'wasm'. */
export async function installWasm(opts: EngineOptions): Promise<{ threads: number; kernels: string[] }> {
  const platform = await enginePlatform();
  const wanted = opts.threads ?? platform.defaultThreads();
  if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`threads must be a positive integer, got ${wanted}`);
  platform.useWasmThreads(wanted);
  const kernels = registerWasmKernels();
  const ok = await tf.setBackend('wasm');
  return { threads: ok ? wasmThreads() : 1, kernels };
}

registerBackendInstaller('wasm', installWasm);
