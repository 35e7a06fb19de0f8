// The engine platform in a browser: tfjs-backend-wasm's own browser start-up (threads when the page is
// cross-origin isolated, i.e. served with COOP/COEP), its binaries fetched from `wasmPaths`, and the
// WebGPU and WebGL backends registered for initEngine({ backend: 'webgpu' | 'webgl' }).
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core's ESM build leaves its gradients out of index.js (Node loads them from vendor/, see setup.ts).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { useEnginePlatform, type EnginePlatform } from '../engine/setup.js';
// tfjs-backend-wasm's C++ never uses more (it pre-creates 8 pthread workers).
const MAX_WASM_THREADS = 8;

export interface BrowserEngineOptions {
  /** URL prefix (ending in '/') under which the tfjs-backend-wasm .wasm files are served. */
  wasmPaths: string;
}

/** Whether wasm threads can run: the page must be cross-origin isolated (SharedArrayBuffer). */
export function crossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** Sets the browser platform; call once before initEngine. */
export function useBrowserEngine(opts: BrowserEngineOptions): void {
  setWasmPaths(opts.wasmPaths);
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const platform: EnginePlatform = {
    guard: (fn) => fn(),
    defaultThreads: () => (crossOriginIsolated() ? Math.max(1, Math.min(MAX_WASM_THREADS, cores)) : 1),
    useWasmThreads: (threads) => {
      // The backend's own (threaded-SIMD binary when isolated); its C++ caps the pool at cores / 2.
      if (!crossOriginIsolated()) return false;
      setThreadsCount(threads);
      return true;
    },
  };
  useEnginePlatform(platform);
}
