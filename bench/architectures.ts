// Cost of every multi-task architecture (issue #18), in ms per training step relative to hard sharing
// (hps) with MTL on the same extractor, data and batch: dense (mtl) updates, EW, one run each. Each
// architecture's hard-sharing reference runs just before it, so that a slow spell of a shared machine
// hits both alike. MTAN attends over conv blocks, so it and its reference run on lenet; the others on
// the base config's MLP. MTAN also runs on segnet (scenes), against hard sharing on segnet.
import { runTraining } from '../src/experiments/run.js';
import { ARCHITECTURE_NAMES, type TrainConfigInput } from '../src/train/config.js';

const fmt = (x: number, d = 1) => x.toFixed(d);

export async function benchArchitectures(base: TrainConfigInput): Promise<void> {
  const short: TrainConfigInput = { ...base, epochs: 1, method: 'mtl' };
  const extractorOf = (architecture: string) => (architecture === 'mtan' ? 'lenet' : (base.arch ?? 'mlp'));
  console.log('## Architectures: ms per step relative to hard sharing (hps, MTL) on the same extractor, hetero3, one run each');
  // Warm-up: the first runs pay for compilation and caches.
  for (const arch of new Set(ARCHITECTURE_NAMES.map(extractorOf))) await runTraining({ ...short, arch, architecture: 'hps' });
  // ms per step of an architecture and of hard sharing on the same config, the reference measured just before.
  const row = async (label: string, config: TrainConfigInput, architecture: string) => {
    const hps = (await runTraining({ ...config, architecture: 'hps' })).timings.msPerStep;
    const ms = (await runTraining({ ...config, architecture })).timings.msPerStep;
    console.log(`${label.padEnd(22)} ${fmt(ms).padStart(8)} ms/step   hps ${fmt(hps).padStart(7)} ms/step   ${fmt(ms / hps, 2)}× hps`);
  };
  for (const architecture of ARCHITECTURE_NAMES.filter((a) => a !== 'hps')) {
    const arch = extractorOf(architecture);
    await row(`${architecture} (${arch})`, { ...short, arch }, architecture);
  }
  // MTAN on the encoder–decoder: 64×64 scenes (segmentation + depth), batch 16.
  const dense: TrainConfigInput = { benchmark: 'scenes', arch: 'segnet', imageSize: 64, trainSize: 160, testPerTask: 16, batchSize: 16, epochs: 1, method: 'mtl', seed: 0 };
  await runTraining({ ...dense, architecture: 'hps' }); // warm-up on segnet
  await row('mtan (segnet, scenes)', dense, 'mtan');
}
