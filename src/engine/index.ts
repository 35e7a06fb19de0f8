// The tensor engine: tfjs-core with the best available backend (see setup.ts) and fsmtl's wasm kernels.
export { initEngine, engineInfo, describeEngine, registerBackendInstaller, tf } from './setup.js';
export type { BackendName, EngineInfo, EngineOptions } from './setup.js';
export { registerWasmKernels, useStockWasmKernels } from './wasm/install.js';
export { MAX_WASM_THREADS, defaultThreads, threadsSupported } from './wasm/threads.js';
export { nativeStatus, nativeDisabled, type NativeStatus } from './native/addon.js';
export { chooseCoretype, openblasCoretypeFor, cpuFlags } from './native/cpu.js';
