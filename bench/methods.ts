// Cost of every method, in ms per training step relative to MTL with EW, on the same model, data and
// batch (issue #4): the sharing methods with EW, then every weighting with hard sharing (MTL).
// Sparse methods start masked from the first step (no warm-up), so every timed step is a masked step.
import { runTraining } from '../src/experiments/run.js';
import { METHOD_NAMES, WEIGHTING_NAMES, type TrainConfigInput } from '../src/train/config.js';

const fmt = (x: number, d = 1) => x.toFixed(d);

export async function benchMethods(base: TrainConfigInput): Promise<void> {
  const short: TrainConfigInput = { ...base, epochs: 2, fs: { ...base.fs, warmupEpochs: 0 } };
  const runs: [string, TrainConfigInput][] = [
    ...['mtl' as const, ...METHOD_NAMES.filter((m) => m !== 'mtl')].map((method): [string, TrainConfigInput] => [method, { ...short, method, keep: method === 'tr' || method === 'mr' ? 0.9 : 0.3 }]),
    ...WEIGHTING_NAMES.filter((w) => w !== 'ew').map((weighting): [string, TrainConfigInput] => [`mtl+${weighting}`, { ...short, method: 'mtl', weighting }]),
  ];
  const ROUNDS = 3;
  console.log(`## Methods: ms per step relative to MTL (EW), hetero3, same model and batch; median of ${ROUNDS} interleaved rounds`);
  await runTraining({ ...short, method: 'mtl', epochs: 1 }); // warm-up: the first run pays for compilation and caches
  // Rounds interleave the methods, so that a slow spell of the machine hits every method alike.
  const times = runs.map(() => [] as number[]);
  const failures = runs.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < runs.length; i++) {
      const r = await runTraining(runs[i][1]);
      times[i].push(r.timings.msPerStep);
      failures[i] += r.weighting.solverFailures;
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const reference = median(times[0]);
  runs.forEach(([label], i) => {
    const m = median(times[i]);
    const spread = `${fmt(Math.min(...times[i]))}–${fmt(Math.max(...times[i]))}`;
    const failed = failures[i] ? `   solver failures ${failures[i]}` : '';
    console.log(`${label.padEnd(14)} ${fmt(m).padStart(7)} ms/step (${spread})   ${fmt(m / reference, 2)}× MTL${failed}`);
  });
}
