// Messages between the page (main.ts) and its training worker (worker.ts).
import type { TrainResult } from '../../train/trainer.js';

export interface StartMessage {
  type: 'start';
  /** URL prefix of the tfjs-backend-wasm binaries. */
  wasmPaths: string;
  engine: 'wasm' | 'webgpu' | 'webgl' | 'cpu';
  threads?: number;
  /** Files to mount under the page's data folder: fetched from `baseUrl`, or given as bytes. */
  fetch?: { baseUrl: string; names: string[] };
  files?: Record<string, ArrayBuffer>;
  /** A data manifest's path among the mounted files (benchmark 'data'); else a built-in benchmark by name. */
  manifest?: string;
  benchmark: string;
  methods: string[];
  /** Base config (epochs, sizes, seed, weighting, keep...) shared by every method. */
  config: Record<string, unknown>;
}

export type WorkerMessage =
  | { type: 'engine'; description: string; backend: string; threads: number; kernels: string[] }
  | { type: 'log'; text: string }
  | { type: 'run-start'; method: string; tasks: string[]; metric: string }
  | { type: 'epoch'; method: string; epoch: number; loss: number[]; metric: number[]; split: 'val' | 'test'; seconds: number }
  | {
      type: 'run-end';
      method: string;
      result: TrainResult;
      checkpoint: Uint8Array;
      taskModels: { task: string; bytes: Uint8Array }[];
    }
  | { type: 'error'; message: string }
  | { type: 'done' };
