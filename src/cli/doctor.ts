// `fsmtl doctor`: which tensor engine fsmtl uses here, and what would make it faster.
import { Command } from 'commander';
import { cpus } from 'node:os';
import { describeEngine, initEngine } from '../engine/setup.js';
import { nativeStatus } from '../engine/native/addon.js';
import { cpuFlags, openblasCoretypeFor } from '../engine/native/cpu.js';
import { threadsSupported } from '../engine/wasm/threads.js';
import { FSMTL_VERSION } from '../train/trainer.js';

export interface DoctorReport {
  fsmtl: string;
  node: string;
  cpu: { model: string; cores: number; avx512: boolean };
  /** The engine `--backend auto` picks, in one line. */
  engine: string;
  backend: string;
  threads: number;
  native: ReturnType<typeof nativeStatus>;
  wasmThreads: boolean;
  advice: string[];
}

export async function doctorReport(): Promise<DoctorReport> {
  const engine = await initEngine({ backend: 'auto' });
  const native = nativeStatus();
  const flags = cpuFlags();
  const advice: string[] = [];
  if (engine.backend !== 'native' && engine.backend !== 'tensorflow') {
    advice.push(
      native.reason?.startsWith('switched off')
        ? 'unset FSMTL_NATIVE to use the native engine'
        : "for native speed: 'sudo apt-get install -y libopenblas-dev && npm run build:native' (see README, Native engine)",
    );
  }
  if (native.coretype?.by === 'user' && openblasCoretypeFor(flags) && !/skylakex|cooperlake|sapphirerapids/i.test(native.coretype.value ?? '')) {
    advice.push(`FSMTL_OPENBLAS_CORETYPE=${native.coretype.value} keeps OpenBLAS off this CPU's AVX-512 kernels; unset it for about twice the speed`);
  }
  return {
    fsmtl: FSMTL_VERSION,
    node: process.version,
    cpu: { model: cpus()[0]?.model ?? 'unknown', cores: cpus().length, avx512: flags.has('avx512f') },
    engine: describeEngine(engine),
    backend: engine.backend,
    threads: engine.threads,
    native,
    wasmThreads: threadsSupported(),
    advice,
  };
}

function format(r: DoctorReport): string {
  const n = r.native;
  const lines = [
    `fsmtl ${r.fsmtl}, Node ${r.node}`,
    `cpu: ${r.cpu.model}, ${r.cpu.cores} core(s)${r.cpu.avx512 ? ', AVX-512' : ''}`,
    `engine: ${r.engine}`,
    `native addon: ${n.available ? 'loaded' : `unavailable: ${n.reason}`} (${n.path})`,
  ];
  if (n.blas) lines.push(`BLAS: ${n.blas.config} (threading: ${n.blas.parallel})`);
  const dnnHint = "im2col + OpenBLAS (for faster ones: 'sudo apt-get install -y libdnnl-dev && npm run build:native')";
  if (n.available) lines.push(`convolutions: ${n.dnn ?? dnnHint}`);
  if (n.coretype) {
    const who = { user: 'as set by the user', fsmtl: 'chosen by fsmtl for this CPU', openblas: "OpenBLAS's own detection" }[n.coretype.by];
    const was = n.coretype.replaced ? `; replaced OPENBLAS_CORETYPE=${n.coretype.replaced}` : '';
    lines.push(`OpenBLAS kernels: ${n.coretype.value ?? 'auto'} (${who}${was})`);
  }
  lines.push(`wasm threads: ${r.wasmThreads ? 'supported' : 'unavailable (wasm runs on one thread)'}`);
  for (const a of r.advice) lines.push(`advice: ${a}`);
  return lines.join('\n') + '\n';
}

export function addDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('say which tensor engine fsmtl uses here (native OpenBLAS, wasm or cpu) and why')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { json?: boolean }) => {
      const r = await doctorReport();
      process.stdout.write(flags.json ? JSON.stringify(r, null, 2) + '\n' : format(r));
    });
}
