// Loads fsmtl's optional native addon (native/, built by `npm run build:native`) and says why when it cannot.
// Nothing here throws: a missing addon only means fsmtl runs on wasm.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chooseCoretype, type CoretypeChoice } from './cpu.js';

/** The addon's functions (native/src/fsmtl_native.c). Offsets and strides are in floats into the heap. */
export interface NativeAddon {
  setHeap(heap: ArrayBuffer | Uint8Array): void;
  gemm(
    transA: number, transB: number, m: number, n: number, k: number,
    a: number, lda: number, b: number, ldb: number, c: number, ldc: number, beta: number,
    batch: number, strideA: number, strideB: number, strideC: number,
  ): void;
  biasAct(c: number, rows: number, n: number, bias: number, biasSize: number, activation: number, alpha: number): void;
  maxPoolGrad(
    x: number, dy: number, dx: number, n: number, h: number, w: number, c: number,
    fh: number, fw: number, sh: number, sw: number, pt: number, pl: number, oh: number, ow: number,
  ): void;
  sumMiddle(x: number, out: number, outer: number, reduce: number, inner: number): void;
  /** out = e^x element-wise, n floats. */
  exp(x: number, out: number, n: number): void;
  conv(
    kind: number, in0: number, in1: number, out: number,
    n: number, h: number, w: number, cin: number, kh: number, kw: number, sh: number, sw: number,
    dh: number, dw: number, pt: number, pl: number, oh: number, ow: number, cout: number,
  ): void;
  /** One Adam update: m', v' and the step from g, m, v (n floats each). */
  adam(g: number, m: number, v: number, mOut: number, vOut: number, step: number, n: number, b1: number, b2: number, eps: number, stepSize: number): void;
  /** The dense ReLU network's diagonal Fisher in one call (native/src/dense_fisher.c documents the arguments). */
  denseFisher(mode: number, n: number, dims: number[], params: number[], outs: number[], x: number, y: number): void;
  /** The sparse inference path's dense layer (native/src/sparse_infer.c; src/predictor/kernels.ts documents it). */
  sparseDense(
    x: Float32Array, n: number, inputs: number, ptr: Int32Array, idx: Uint16Array | Uint32Array, val: Float32Array,
    bias: Float32Array, relu: number, y: Float32Array,
  ): void;
  /** The sparse inference path's conv + ReLU + 2×2 max-pool layer. */
  sparseConvPool(
    x: Float32Array, n: number, cin: number, hp: number, wp: number, k: number, ptr: Int32Array, idx: Uint16Array | Uint32Array,
    val: Float32Array, bias: Float32Array, filters: number, dst: Float32Array, dstPad: number,
  ): void;
  setThreads(n: number): void;
  /** Caps im2col slices at `floats` (returns the previous cap); for tests. */
  setScratchLimit(floats: number): number;
  /** Whether convolutions go to oneDNN (when built with it); returns the previous setting (always false without). */
  setDnnl(on: boolean): boolean;
  /** 'dnn': the convolution library ('oneDNN x.y.z'), or '' when convolutions run on the BLAS. */
  info(): { blas: string; config: string; core: string; threads: number; parallel: string; dnn: string };
}

export interface NativeStatus {
  /** Whether the addon loaded. */
  available: boolean;
  /** Why not, when it did not (one line, with what to do). */
  reason?: string;
  /** Where the addon is (or would be). */
  path: string;
  /** The BLAS it runs on: library, build configuration, kernel set ('core') and threading. */
  blas?: { name: string; config: string; core: string; parallel: string };
  /** The library convolutions run on when it is not the BLAS ('oneDNN 2.6.3'), or undefined. */
  dnn?: string;
  /** OPENBLAS_CORETYPE in force and who chose it. */
  coretype?: CoretypeChoice;
}

/** The built addon: native/build/Release (the same depth from src/engine/native and dist/engine/native). */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/fsmtl_native.node', import.meta.url));

const BUILD_HINT = "install OpenBLAS and build it: 'sudo apt-get install -y libopenblas-dev && npm run build:native'";

let loaded: { addon: NativeAddon | null; status: NativeStatus } | undefined;

/** Whether the user switched the native engine off (FSMTL_NATIVE=0, off, false or no). */
export function nativeDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['FSMTL_NATIVE']?.trim().toLowerCase();
  return v === '0' || v === 'off' || v === 'false' || v === 'no';
}

function load(): { addon: NativeAddon | null; status: NativeStatus } {
  const path = ADDON_PATH;
  if (nativeDisabled()) {
    return { addon: null, status: { available: false, path, reason: `switched off by FSMTL_NATIVE=${process.env['FSMTL_NATIVE']}` } };
  }
  if (!existsSync(path)) return { addon: null, status: { available: false, path, reason: `not built (${BUILD_HINT})` } };
  // OpenBLAS reads OPENBLAS_CORETYPE once, when the library is loaded with the addon.
  const coretype = chooseCoretype();
  if (coretype.by === 'fsmtl' && coretype.value) process.env['OPENBLAS_CORETYPE'] = coretype.value;
  // oneDNN's OpenMP threads would otherwise spin between convolutions, on the cores OpenBLAS's threads need.
  process.env['OMP_WAIT_POLICY'] ??= 'PASSIVE';
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const i = addon.info();
    return {
      addon,
      status: {
        available: true,
        path,
        blas: { name: i.blas, config: i.config.trim(), core: i.core, parallel: i.parallel },
        dnn: i.dnn || undefined,
        coretype,
      },
    };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    const missingLib = /lib\w+\.so/.test(msg) ? ` (${BUILD_HINT})` : ` (rebuild it: 'npm run build:native')`;
    return { addon: null, status: { available: false, path, reason: `failed to load: ${msg}${missingLib}` } };
  }
}

/** The addon, or null (see nativeStatus() for why). Loaded once per process. */
export function nativeAddon(): NativeAddon | null {
  loaded ??= load();
  return loaded.addon;
}

/** Whether the native engine can run here, and if not, why. */
export function nativeStatus(): NativeStatus {
  loaded ??= load();
  return loaded.status;
}
