// The 'native' tfjs backend: a wasm backend (tfjs-backend-wasm's single-threaded SIMD binary, its stock
// kernels and fsmtl's wasm kernels) whose heavy kernels (matrix products, convolutions) run in the native
// addon on OpenBLAS instead, reading and writing the tensors in place on the wasm heap.
//
// Why single-threaded wasm: the element-wise kernels left to wasm are cheap, and the BLAS's threads use the
// cores; a second thread pool in wasm would only compete with them. It also keeps the heap a plain
// ArrayBuffer that Node-API hands out a pointer to.
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NativeAddon } from './addon.js';

const require = createRequire(import.meta.url);

export const NATIVE_BACKEND = 'native';

interface SimdModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
  HEAPU8: Uint8Array;
  tfjs?: Record<string, unknown>;
}

interface SimdConfig {
  locateFile(path: string, prefix: string): string;
  instantiateWasm(
    imports: WebAssembly.Imports,
    receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): Record<string, never>;
  print(text: string): void;
  printErr(text: string): void;
}

/** A BackendWasm on the package's single-threaded SIMD binary, loaded by the same factory the package uses for it. */
export async function createSimdBackend(): Promise<BackendWasm> {
  const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factory = require(join(dir, 'tfjs-backend-wasm.js')) as (c: SimdConfig) => Promise<SimdModule>;
  const wasmFile = join(dir, 'tfjs-backend-wasm-simd.wasm');
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const ready = factory({
    locateFile: (path, prefix) => (path.endsWith('.wasm') ? wasmFile : prefix + path),
    instantiateWasm(imports, receiveInstance) {
      readFile(wasmFile)
        .then((bytes) => WebAssembly.instantiate(bytes, imports))
        .then((r) => receiveInstance(r.instance, r.module))
        .catch((e: unknown) => fail(new Error(`cannot instantiate ${wasmFile}: ${String(e)}`)));
      return {};
    },
    print: (text) => process.stdout.write(text + '\n'),
    printErr: (text) => process.stderr.write(text + '\n'),
  });
  ready.catch(() => {}); // a late rejection after a failed start must not become an unhandled one
  // Emscripten's ready promise never settles when instantiation fails: race it with the failure.
  const module = await Promise.race([ready, failed]);
  // BackendWasm's constructor stores getThreadsCount() in a package-wide variable that the 'wasm' backend
  // reports its threads through; give it the value it already had so that this backend does not overwrite it.
  let previous = -1;
  try {
    previous = getThreadsCount();
  } catch {
    /* no wasm backend yet */
  }
  const init = module.cwrap('init_with_threads_count', null, ['number']);
  const threads = module.cwrap('get_threads_count', 'number', []);
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: () => init(1),
    getThreadsCount: () => previous,
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  module.tfjs['getThreadsCount'] = threads;
  return backend;
}

// ---------------------------------------------------------------------------------------------------------
// Heap access for the kernels.

let heapSeen: ArrayBufferLike | undefined;

/**
 * Makes the addon's heap the backend's current wasm memory. Call after the kernel's last allocation: a
 * growing heap replaces the ArrayBuffer (offsets stay valid, the base pointer may not).
 */
export function syncHeap(addon: NativeAddon, backend: BackendWasm): void {
  const buffer = (backend.wasm as unknown as SimdModule).HEAPU8.buffer;
  if (buffer !== heapSeen) {
    addon.setHeap(buffer as ArrayBuffer);
    heapSeen = buffer;
  }
}

/** The tensor's offset on the wasm heap, in floats. */
export function offsetOf(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset / 4;
}
