// Hooks the native engine into initEngine(): registers the 'native' tfjs backend (see backend.ts) with every
// wasm kernel plus the addon's, and sets the BLAS thread count.
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { registerBackendInstaller, type EngineOptions } from '../setup.js';
import { FsmtlError } from '../../util/errors.js';
import { registerWasmKernels } from '../wasm/install.js';
import { nativeAddon, nativeStatus, type NativeAddon } from './addon.js';
import { NATIVE_BACKEND, createSimdBackend } from './backend.js';
import { nativeKernels } from './kernels.js';

/** Registered below the wasm backend so that tfjs never picks it on its own. */
const NATIVE_PRIORITY = 1;

let kernelNames: string[] | undefined;

/** Registers the 'native' backend and its kernels (once); returns the names of the kernels fsmtl provides on it. */
function registerNative(addon: NativeAddon): string[] {
  if (kernelNames) return kernelNames;
  const wasmNames = registerWasmKernels();
  // Every wasm kernel (stock and fsmtl's) runs unchanged on this backend, which is a wasm backend too; the
  // setup functions bind each kernel's C++ function to whichever wasm module is active.
  const wasm = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k]));
  const native = nativeKernels(addon, (name) => wasm.get(name));
  const replaced = new Set(native.map((k) => k.kernelName));
  for (const k of wasm.values()) {
    if (replaced.has(k.kernelName)) continue;
    tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  }
  for (const k of native) {
    const w = wasm.get(k.kernelName);
    // Keep the wasm setup function: the fallback path calls the wasm kernel, which needs it.
    tf.registerKernel({ ...k, setupFunc: w?.setupFunc, disposeFunc: w?.disposeFunc });
  }
  tf.registerBackend(NATIVE_BACKEND, createSimdBackend, NATIVE_PRIORITY);
  kernelNames = [...new Set([...native.map((k) => k.kernelName), ...wasmNames])];
  return kernelNames;
}

/** BLAS threads by default: every core (OPENBLAS_NUM_THREADS wins when set). */
export function defaultNativeThreads(): number {
  const env = Number(process.env['OPENBLAS_NUM_THREADS']);
  return Number.isInteger(env) && env >= 1 ? env : Math.max(1, availableParallelism());
}

/** The native installer initEngine() runs before switching to 'native'; throws FsmtlError when unavailable. */
export async function installNative(opts: EngineOptions): Promise<{ threads: number; kernels: string[] }> {
  const addon = nativeAddon();
  if (!addon) throw new FsmtlError(`the native engine is unavailable: ${nativeStatus().reason}`);
  const threads = opts.threads ?? defaultNativeThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const kernels = registerNative(addon);
  addon.setThreads(threads);
  if (!(await tf.setBackend(NATIVE_BACKEND))) throw new FsmtlError('the native backend failed to initialise');
  return { threads: addon.info().threads, kernels };
}

registerBackendInstaller('native', installNative);
