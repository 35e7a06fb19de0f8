// The tensor engine: tfjs-core with the best available backend (see setup.ts) and fsmtl's wasm kernels.
export { initEngine, engineInfo, registerBackendInstaller, tf } from './setup.js';
export type { BackendName, EngineInfo, EngineOptions } from './setup.js';
export { registerWasmKernels, useStockWasmKernels } from './wasm/install.js';
export { MAX_WASM_THREADS, defaultThreads, threadsSupported } from './wasm/threads.js';
