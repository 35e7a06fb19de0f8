// Cost of every method, in ms per training step relative to MTL with EW, on the same model, data and
// batch (issue #4): the sharing methods with EW, then every weighting with hard sharing (MTL).
// Sparse methods start masked from the first step (no warm-up), so every timed step is a masked step.
import { runTraining } from '../src/experiments/run.js';
import { METHOD_NAMES, WEIGHTING_NAMES, type TrainConfigInput } from '../src/train/config.js';

const fmt = (x: number, d = 1) => x.toFixed(d);

export async function benchMethods(base: TrainConfigInput): Promise<void> {
  const short: TrainConfigInput = { ...base, trainPerTask: 1280, epochs: 2, fs: { ...base.fs, warmupEpochs: 0 } };
  const runs: [string, TrainConfigInput][] = [
    ...['mtl' as const, ...METHOD_NAMES.filter((m) => m !== 'mtl')].map((method): [string, TrainConfigInput] => [method, { ...short, method, keep: method === 'tr' || method === 'mr' ? 0.9 : 0.3 }]),
    ...WEIGHTING_NAMES.filter((w) => w !== 'ew').map((weighting): [string, TrainConfigInput] => [`mtl+${weighting}`, { ...short, method: 'mtl', weighting }]),
  ];
  console.log('## Methods: ms per step relative to MTL (EW), hetero3, same model and batch');
  await runTraining({ ...short, method: 'mtl', epochs: 1 }); // warm-up: the first run pays for compilation and caches
  let reference = 0;
  for (const [label, config] of runs) {
    const r = await runTraining(config);
    if (label === 'mtl') reference = r.timings.msPerStep;
    const failures = r.weighting.solverFailures ? `   solver failures ${r.weighting.solverFailures}` : '';
    console.log(`${label.padEnd(14)} ${fmt(r.timings.msPerStep).padStart(7)} ms/step   ${reference ? fmt(r.timings.msPerStep / reference, 2) + '× MTL' : ''}${failures}`);
  }
}
