// Which OpenBLAS kernels to ask for. OpenBLAS picks its kernels by CPU model, and a release older than the
// CPU does not know it: Debian 12's OpenBLAS 0.3.21 runs a Zen 5 (AVX-512) as 'Haswell' (AVX2), at about
// half the speed of its AVX-512 kernels (110 vs 210 GFLOP/s per core, sgemm 768×512×784). OpenBLAS reads
// OPENBLAS_CORETYPE when the library loads, so the choice must be made before the addon is loaded.
import { readFileSync } from 'node:fs';

/** The feature flags of the first CPU in /proc/cpuinfo (empty where there is none, e.g. not Linux). */
export function cpuFlags(cpuinfo?: string): Set<string> {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return new Set();
    }
  }
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
  return new Set(line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : []);
}

/**
 * The OPENBLAS_CORETYPE that selects OpenBLAS's AVX-512 kernels on a CPU with AVX-512 (F, CD, BW, DQ, VL:
 * the Skylake-X set), or null where OpenBLAS's own detection is right (no AVX-512: it then knows the CPU or
 * falls back to the matching AVX2/SSE kernels). Cooperlake is SkylakeX plus bfloat16 instructions.
 */
export function openblasCoretypeFor(flags: Set<string>): string | null {
  const skx = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f));
  if (!skx) return null;
  return flags.has('avx512_bf16') ? 'Cooperlake' : 'SkylakeX';
}

/** OpenBLAS kernel sets that use AVX-512. */
const AVX512_CORES = ['skylakex', 'cooperlake', 'sapphirerapids'];

export interface CoretypeChoice {
  /** The value in force when OpenBLAS loads (null: OpenBLAS detects the CPU itself). */
  value: string | null;
  /**
   * 'user': FSMTL_OPENBLAS_CORETYPE, or an OPENBLAS_CORETYPE fsmtl had no reason to change;
   * 'fsmtl': chosen here for this CPU; 'openblas': left to OpenBLAS's own detection.
   */
  by: 'user' | 'fsmtl' | 'openblas';
  /** The OPENBLAS_CORETYPE fsmtl replaced, when it named slower kernels than the CPU runs. */
  replaced?: string;
}

/**
 * The coretype to run OpenBLAS with, for this environment and CPU (does not change the environment).
 * On an AVX-512 CPU, an unset OPENBLAS_CORETYPE or one naming non-AVX-512 kernels (e.g. a system-wide
 * 'Haswell') gives way to the AVX-512 kernels: they compute the same products, twice as fast.
 * FSMTL_OPENBLAS_CORETYPE, when set, is used as given.
 */
export function chooseCoretype(env: NodeJS.ProcessEnv = process.env, flags: Set<string> = cpuFlags()): CoretypeChoice {
  const forced = env['FSMTL_OPENBLAS_CORETYPE']?.trim();
  if (forced && forced.toLowerCase() !== 'auto') return { value: forced, by: 'user' };
  const current = env['OPENBLAS_CORETYPE']?.trim() || undefined;
  const best = openblasCoretypeFor(flags);
  if (best && !(current && AVX512_CORES.includes(current.toLowerCase()))) {
    return current ? { value: best, by: 'fsmtl', replaced: current } : { value: best, by: 'fsmtl' };
  }
  return current ? { value: current, by: 'user' } : { value: null, by: 'openblas' };
}
