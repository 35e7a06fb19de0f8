// Node's engine platform (see EnginePlatform in setup.ts): the native addon and its installer, wasm threads
// on worker_threads, and a guard against the handlers emscripten's Node glue puts on `process`.
import type { EnginePlatform } from './setup.js';
import { nativeStatus } from './native/addon.js';
import { nativeSparseKernels } from './native/sparse-kernels.js';
import { defaultThreads, useWasmThreads } from './wasm/threads.js';
import './native/install.js';

/** Emscripten's Node glue re-throws every uncaught exception and prints its whole minified source; drop its handlers. */
async function withoutEmscriptenHandlers<T>(fn: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const listeners = (e: string) => process.listeners(e as 'uncaughtException') as unknown[];
  const before = events.map((e) => new Set(listeners(e)));
  try {
    return await fn();
  } finally {
    events.forEach((e, i) => {
      for (const l of listeners(e)) if (!before[i].has(l)) process.removeListener(e, l as never);
    });
  }
}

export const nodePlatform: EnginePlatform = { nativeStatus, guard: withoutEmscriptenHandlers, defaultThreads, useWasmThreads, sparseKernels: nativeSparseKernels };
