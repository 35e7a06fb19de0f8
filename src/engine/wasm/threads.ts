// Multi-threaded wasm in Node, without forking @tensorflow/tfjs-backend-wasm.
//
// Why the stock package runs single-threaded in Node:
//  1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag returns false whenever IS_NODE;
//  2. its init() hands emscripten a `blob:` URL for the pthread worker script and a Blob holding the
//     *bundled* factory (which closes over the bundle's require$$ variables) as the main script; Node's
//     worker_threads accept neither;
//  3. the C++ side caps the pool at emscripten_num_logical_cores() / 2 (and at 8).
//
// What we do instead: build the backend ourselves from the package's own emscripten output
// (wasm-out/tfjs-backend-wasm-threaded-simd.js, a plain CommonJS module factory) and register it as the
// 'wasm' backend factory, with
//  - locateFile() returning, for the worker, a `data:` URL (an ES module that defines require/__filename
//    and evaluates the worker source the package ships as a string), and the real path for the .wasm;
//  - mainScriptUrlOrBlob = the absolute path of that factory file (the worker importScripts() it);
//  - instantiateWasm() overriding the `emscripten_num_logical_cores` import with 2 × threads, so that the
//    C++ cap (cores / 2) is exactly the requested thread count.
// The stock BackendWasm class, kernels and setThreadsCount are reused unchanged. Workers are unref'd by
// emscripten once loaded, so they never keep a process alive.
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';

const require = createRequire(import.meta.url);

/** The C++ side never uses more (tfjs-backend-wasm pre-creates 8 pthread workers). */
export const MAX_WASM_THREADS = 8;
const WASM_PRIORITY = 2;
const INIT_TIMEOUT_MS = 60_000;

interface PThreadLike {
  unusedWorkers: Array<{ onerror?: (e: unknown) => void; terminate(): unknown }>;
  runningWorkers: unknown[];
  loadWasmModuleToWorker: (worker: { onerror?: (e: unknown) => void }, onFinishedLoading?: unknown) => unknown;
  terminateAllThreads(): void;
}

interface ThreadedConfig {
  locateFile(path: string, prefix: string): string | URL;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: { env: Record<string, unknown> },
    receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): Record<string, never>;
  onAbort(what: unknown): void;
  print(text: string): void;
  printErr(text: string): void;
  PThread?: PThreadLike;
}

interface EmscriptenLike {
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
}

type Factory = (config: ThreadedConfig) => Promise<EmscriptenLike>;

function wasmOutDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

/** Whether this Node can run the threaded-SIMD binary at all. */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof WebAssembly === 'undefined') return false;
  try {
    // Same probes as tfjs-backend-wasm's flags (SIMD; shared memory + atomics).
    const simd = WebAssembly.validate(
      new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11]),
    );
    const atomics = WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0,
        26, 11,
      ]),
    );
    if (!simd || !atomics) return false;
    const dir = wasmOutDir();
    return ['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.worker.js', 'tfjs-backend-wasm-threaded-simd.wasm']
      .every((f) => existsSync(join(dir, f)));
  } catch {
    return false;
  }
}

/** Default thread count: every logical core, within the backend's cap. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, availableParallelism()));
}

function workerUrl(dir: string): URL {
  const mainScript = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  // The package ships the worker as `module.exports.wasmWorkerContents = \`...\``; the template literal turns
  // its "\n" escapes into raw newlines inside string literals, which tfjs itself re-escapes the same way.
  const contents = (require(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string })
    .wasmWorkerContents.replace(/\n/g, '\\n');
  const code =
    `import { createRequire } from 'node:module';\n` +
    `globalThis.require = createRequire(${JSON.stringify(mainScript)});\n` +
    `globalThis.__filename = ${JSON.stringify(mainScript)};\n` +
    `(0, eval)(${JSON.stringify(contents)});\n`;
  return new URL('data:text/javascript,' + encodeURIComponent(code));
}

/** Creates a BackendWasm on the threaded-SIMD binary with `threads` XNNPACK threads. */
export async function createThreadedBackend(threads: number): Promise<BackendWasm> {
  const dir = wasmOutDir();
  const factory = require(join(dir, 'tfjs-backend-wasm-threaded-simd.js')) as Factory;
  const wasmFile = join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  const worker = workerUrl(dir);
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const errors: string[] = [];
  const config: ThreadedConfig = {
    // emscripten passes this value straight to `new Worker(...)`, which accepts a data: URL object.
    locateFile: (path, prefix) => (path.endsWith('.worker.js') ? worker : path.endsWith('.wasm') ? wasmFile : prefix + path),
    mainScriptUrlOrBlob: join(dir, 'tfjs-backend-wasm-threaded-simd.js'),
    instantiateWasm(imports, receiveInstance) {
      // C++ caps the pool at emscripten_num_logical_cores() / 2: report 2 × threads.
      imports.env['emscripten_num_logical_cores'] = () => 2 * threads;
      readFile(wasmFile)
        .then((bytes) => WebAssembly.instantiate(bytes, imports as WebAssembly.Imports))
        .then((r) => receiveInstance(r.instance, r.module))
        .catch((e: unknown) => fail(new Error(`cannot instantiate ${wasmFile}: ${String(e)}`)));
      return {};
    },
    onAbort: (what) => fail(new Error(`wasm module aborted: ${String(what)}${errors.length ? ` (${errors.join('; ')})` : ''}`)),
    print: (text) => process.stdout.write(text + '\n'),
    printErr: (text) => {
      errors.push(text);
      process.stderr.write(text + '\n');
    },
  };
  const ready = factory(config);
  ready.catch(() => {}); // a late rejection after a failed start must not become an unhandled one
  // PThread.init() ran synchronously inside factory(): the 8 pool workers exist now. Emscripten's own
  // worker error handler re-throws from an event listener (an uncaught exception that kills the process);
  // during start-up, turn a worker error into a rejected init instead.
  const pthread = config.PThread;
  let starting = true;
  if (pthread) {
    const load = pthread.loadWasmModuleToWorker.bind(pthread);
    pthread.loadWasmModuleToWorker = (w, done) => {
      const r = load(w, done);
      const original = w.onerror;
      w.onerror = (e: unknown) => {
        if (starting) fail(new Error(`a wasm pthread worker failed: ${(e as Error)?.message ?? String(e)}`));
        else original?.(e);
      };
      return r;
    };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`wasm threads did not start within ${INIT_TIMEOUT_MS / 1000} s`)), INIT_TIMEOUT_MS);
    timer.unref();
  });
  let module: EmscriptenLike;
  try {
    module = await Promise.race([ready, failed, timeout]);
  } catch (e) {
    try {
      pthread?.terminateAllThreads();
    } catch {
      /* already gone */
    }
    throw e;
  } finally {
    starting = false;
    clearTimeout(timer);
  }
  // Same bridge as tfjs-backend-wasm's init().
  (module as unknown as { tfjs: unknown }).tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  // The constructor creates the XNNPACK pool: threads − 1 pthreads, each started on a pool worker.
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // Emscripten ref()s a worker while it runs a pthread, and pool threads run forever (parked on a futex),
  // so the process would never exit. Nothing is ever left pending on them between kernels (every kernel
  // call blocks until the pool is done), so let Node end the process without waiting for them.
  for (const w of pthread?.runningWorkers ?? []) (w as { unref?: () => void }).unref?.();
  // Emscripten pre-spawned 8 workers; the pool now owns threads − 1 of them and nothing creates threads
  // later, so the idle ones only cost memory (~17 MB each). (Should a thread ever be created, emscripten
  // spawns a fresh worker for it.)
  if (pthread) {
    for (const w of pthread.unusedWorkers) void w.terminate();
    pthread.unusedWorkers.length = 0;
  }
  return backend;
}

function wasmInitialized(): boolean {
  return (tf.engine().registry as Record<string, unknown>)['wasm'] != null;
}

/**
 * Makes the 'wasm' backend start with `threads` threads. Must run before the backend is initialised
 * (tf.setBackend('wasm')); returns false when that already happened or threads are unavailable, in which
 * case nothing is changed. If the threaded start fails at run time, the factory falls back to the stock
 * single-threaded one (with a warning).
 */
export function useWasmThreads(threads: number): boolean {
  if (threads <= 1 || wasmInitialized() || !threadsSupported()) return false;
  const stock = tf.findBackendFactory('wasm') as (() => Promise<tf.KernelBackend>) | null;
  if (!stock) return false;
  const n = Math.min(threads, MAX_WASM_THREADS);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await createThreadedBackend(n);
      } catch (e) {
        console.warn(`fsmtl: wasm threads unavailable (${(e as Error).message}); using 1 thread`);
        setThreadsCount(1);
        return stock();
      }
    },
    WASM_PRIORITY,
  );
  return true;
}

/** Threads the initialised wasm backend computes with (1 if unknown). */
export function wasmThreads(): number {
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}
