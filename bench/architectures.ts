// Cost of every multi-task architecture (issue #18), in ms per training step relative to hard sharing
// (hps) with MTL on the same extractor, data and batch: one run each, dense (mtl) updates, EW. MTAN
// attends over conv blocks, so it and its hps reference run on lenet; the others on the base config's MLP.
import { runTraining } from '../src/experiments/run.js';
import { ARCHITECTURE_NAMES, type TrainConfigInput } from '../src/train/config.js';

const fmt = (x: number, d = 1) => x.toFixed(d);

export async function benchArchitectures(base: TrainConfigInput): Promise<void> {
  const short: TrainConfigInput = { ...base, epochs: 1, method: 'mtl' };
  const extractorOf = (architecture: string) => (architecture === 'mtan' ? 'lenet' : (base.arch ?? 'mlp'));
  console.log('## Architectures: ms per step relative to hard sharing (hps, MTL) on the same extractor, hetero3, one run each');
  const reference = new Map<string, number>();
  for (const arch of new Set(ARCHITECTURE_NAMES.map(extractorOf))) {
    const r = await runTraining({ ...short, arch, architecture: 'hps' });
    reference.set(arch, r.timings.msPerStep);
    console.log(`${`hps (${arch})`.padEnd(22)} ${fmt(r.timings.msPerStep).padStart(8)} ms/step   1.00× hps`);
  }
  for (const architecture of ARCHITECTURE_NAMES.filter((a) => a !== 'hps')) {
    const arch = extractorOf(architecture);
    const r = await runTraining({ ...short, arch, architecture });
    const ms = r.timings.msPerStep;
    console.log(`${`${architecture} (${arch})`.padEnd(22)} ${fmt(ms).padStart(8)} ms/step   ${fmt(ms / reference.get(arch)!, 2)}× hps`);
  }
}
