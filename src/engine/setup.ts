// Chooses and initialises the tensor engine once per process.
// Order for 'auto': tfjs-node (native TensorFlow, when the user installed it) > native (fsmtl's OpenBLAS addon
// on the wasm backend, when built) > wasm (with fsmtl's kernels) > cpu.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerCpuResizeNearestGrad } from './resize-nearest.js';
import '@tensorflow/tfjs-backend-wasm';
import { FsmtlError } from '../util/errors.js';
import type { NativeStatus } from './native/addon.js';
import './wasm/install.js';
import type { SparseKernels } from '../predictor/kernels.js';

// tfjs-backend-cpu's ResizeNearestNeighborGrad is wrong for batches > 1 (see ./resize-nearest.ts).
registerCpuResizeNearestGrad();

/** Engines a user can ask for; 'auto' picks tfjs-node, then native, then wasm, then cpu ('webgpu' and 'webgl': in a browser). */
export const BACKEND_NAMES = ['auto', 'native', 'wasm', 'cpu', 'tensorflow', 'webgpu', 'webgl'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface EngineInfo {
  /** tfjs backend in use: 'native', 'wasm', 'cpu' or 'tensorflow' (tfjs-node). */
  backend: string;
  /** Threads the backend computes with: BLAS threads for native, wasm threads for wasm, 1 for cpu. */
  threads: number;
  /** Names of the kernels fsmtl registered on this backend. */
  registeredKernels: string[];
  /** The native addon: what it runs on, or why it is not in use (absent for tfjs-node). */
  native?: NativeStatus;
}

export interface EngineOptions {
  backend?: BackendName;
  /** Threads: the BLAS's for native, wasm's for wasm; default: all cores. */
  threads?: number;
}

/**
 * What differs between Node and a browser. Node's (node-platform.ts: the native addon, wasm threads on
 * worker_threads) is loaded by initEngine; a page's comes from the browser entry (src/web/platform.ts).
 */
export interface EnginePlatform {
  /** The native addon's status (Node only; loading it loads the BLAS). */
  nativeStatus?(): NativeStatus;
  /** Runs a backend start (Node: without the handlers emscripten installs on `process`). */
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** Default wasm thread count. */
  defaultThreads(): number;
  /** Makes the 'wasm' backend start with `threads` threads; false when it cannot. */
  useWasmThreads(threads: number): boolean;
  /** The sparse inference path's C kernels (Node with the addon built), or null. */
  sparseKernels?(): SparseKernels | null;
}

const plain: EnginePlatform = { guard: (fn) => fn(), defaultThreads: () => 1, useWasmThreads: () => false };
let platform: EnginePlatform | undefined;
// A variable specifier keeps the Node platform (and so the addon) out of browser bundles.
const NODE_PLATFORM = './node-platform.js';
const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/** Sets the platform (the browser entry does); initEngine otherwise loads Node's, or a single-threaded one. */
export function useEnginePlatform(p: EnginePlatform): void {
  platform = p;
}

/** The platform loaded so far (by initEngine or the browser entry), without loading one. */
export function loadedEnginePlatform(): EnginePlatform | undefined {
  return platform;
}

/** The platform in use (loading Node's on first use in Node). */
export async function enginePlatform(): Promise<EnginePlatform> {
  platform ??= inNode ? ((await import(NODE_PLATFORM)) as { nodePlatform: EnginePlatform }).nodePlatform : plain;
  return platform;
}

let current: EngineInfo | undefined;
type Installer = (opts: EngineOptions) => Promise<{ threads: number; kernels: string[] }>;
// `var` on purpose: ./wasm/install.js (imported above) registers while this module is still being
// evaluated (a circular import); a `const` would still be in its temporal dead zone then.
// eslint-disable-next-line no-var
var installers: Record<string, Installer> | undefined;

/** Lets backend-specific modules (e.g. the wasm kernels) hook into initialisation. */
export function registerBackendInstaller(backend: string, install: Installer): void {
  (installers ??= {})[backend] = install;
}

async function ensureGradients(): Promise<void> {
  // The CommonJS tfjs-core that Node loads has no gradients; tfjs-node (via @tensorflow/tfjs) brings its own.
  if (tf.getGradient(tf.BatchMatMul) !== undefined) return;
  const url = new URL('../../vendor/tfjs-gradients.mjs', import.meta.url);
  try {
    await import(url.href);
  } catch (e) {
    throw new FsmtlError(
      `cannot load the gradient registrations from ${url.pathname}: run 'npm run prepare' (or reinstall fsmtl) to build them`,
    );
  }
}

async function tryTfjsNode(): Promise<boolean> {
  try {
    // Optional peer: present only when the user installed it. The name is kept in a variable so that
    // TypeScript does not require its types.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

/** Initialise the engine (idempotent). */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  const wanted = opts.backend ?? 'auto';
  if (current && (wanted === 'auto' || wanted === current.backend)) return current;
  await ensureGradients();
  tf.env().set('PROD', true);
  const { guard: withoutEmscriptenHandlers, nativeStatus } = await enginePlatform();

  if (wanted === 'webgpu' || wanted === 'webgl') {
    // Registered by the browser entry (src/web/platform.ts); fsmtl adds no kernels to them.
    if (!tf.findBackendFactory(wanted)) throw new FsmtlError(`backend '${wanted}' runs in a browser only (through fsmtl/browser)`);
    if (!(await tf.setBackend(wanted))) throw new FsmtlError(`backend '${wanted}' is not available in this browser`);
    current = { backend: wanted, threads: 1, registeredKernels: [] };
    return current;
  }
  if ((wanted === 'tensorflow' || wanted === 'auto') && inNode) {
    if (await tryTfjsNode()) {
      current = { backend: 'tensorflow', threads: 0, registeredKernels: [] };
      return current;
    }
    if (wanted === 'tensorflow') {
      throw new FsmtlError("backend 'tensorflow' needs @tensorflow/tfjs-node, which is not installed");
    }
  }
  // Loading the addon loads the BLAS too: only where it may be used.
  const native = (wanted === 'native' || wanted === 'auto') && nativeStatus ? nativeStatus() : undefined;
  if (wanted === 'native' && !nativeStatus) throw new FsmtlError("the native engine runs in Node only (use 'wasm' here)");
  if (native && (wanted === 'native' || native.available)) {
    const installer = installers?.['native'];
    try {
      if (!installer) throw new FsmtlError('the native engine is not part of this build');
      const extra = await withoutEmscriptenHandlers(() => installer(opts));
      current = { backend: 'native', threads: extra.threads, registeredKernels: extra.kernels, native };
      return current;
    } catch (e) {
      if (wanted === 'native') throw e;
      native.available = false;
      native.reason = `failed to start: ${(e as Error).message}`;
    }
  }
  if (wanted === 'wasm' || wanted === 'auto') {
    const installer = installers?.['wasm'];
    const extra = installer ? await withoutEmscriptenHandlers(() => installer(opts)) : { threads: 1, kernels: [] };
    const ok = await withoutEmscriptenHandlers(() => tf.setBackend('wasm'));
    if (ok) {
      current = { backend: 'wasm', threads: extra.threads, registeredKernels: extra.kernels, native };
      return current;
    }
    if (wanted === 'wasm') throw new FsmtlError('the wasm backend failed to initialise');
  }
  if (!(await tf.setBackend('cpu'))) throw new FsmtlError('the cpu backend failed to initialise');
  current = { backend: 'cpu', threads: 1, registeredKernels: [], native };
  return current;
}

/** One line saying which engine is in use and, when it is not the native one, why (for logs and `fsmtl doctor`). */
export function describeEngine(info: EngineInfo): string {
  const n = info.native;
  if (info.backend === 'native' && n?.blas) {
    const why = n.coretype?.replaced ? ` instead of OPENBLAS_CORETYPE=${n.coretype.replaced}` : '';
    const core = n.coretype?.by === 'fsmtl' ? `${n.blas.core} kernels, chosen by fsmtl for this CPU${why}` : `${n.blas.core} kernels`;
    const convs = n.dnn ? `, convolutions on ${n.dnn}` : '';
    return `native: ${n.blas.name} (${core})${convs}, ${info.threads} thread(s), on wasm`;
  }
  const base = info.backend === 'wasm' ? `wasm, ${info.threads} thread(s)` : info.backend === 'tensorflow' ? 'tensorflow (tfjs-node)' : info.backend;
  return n && !n.available && info.backend !== 'tensorflow' ? `${base}; native engine ${n.reason}` : base;
}

/** The engine chosen by initEngine, or undefined before it ran. */
export function engineInfo(): EngineInfo | undefined {
  return current;
}

export { tf };
