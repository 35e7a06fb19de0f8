// ms per combine() call of every gradient weighting method, and its ratio to EW's (the mean), measured
// in one run: T = 3 tasks, P = 664576 shared parameters (the hetero3 MLP 784-512-512), random gradients
// with a common component. Median of the timed calls after warm-up calls; the methods interleave call
// by call, so a slow spell of the machine hits all alike. Part of `npm run bench`, or alone:
//
//   node --import tsx bench/weighting.ts
import { pathToFileURL } from 'node:url';
import { createWeighting, weightingNames } from '../src/methods/weighting/registry.js';
import { Rng } from '../src/util/rng.js';

export async function benchWeightings(opts: { T?: number; P?: number; warmup?: number; calls?: number } = {}): Promise<void> {
  const T = opts.T ?? 3;
  const P = opts.P ?? 664576;
  const warmup = opts.warmup ?? 10;
  const calls = opts.calls ?? 20;
  const rng = new Rng(1);
  const common = new Float32Array(P);
  for (let i = 0; i < P; i++) common[i] = rng.normal();
  const grads = Array.from({ length: T }, (_, t) => {
    const g = new Float32Array(P);
    const sign = t === 1 ? -0.3 : 0.5;
    for (let i = 0; i < P; i++) g[i] = (sign * common[i] + rng.normal()) * 1e-3;
    return g;
  });
  // MGDA-UB reads the gradients with respect to the shared representation: batch 128 × 512 features.
  const representationGrads = Array.from({ length: T }, () => Float32Array.from({ length: 128 * 512 }, () => rng.normal() * 1e-3));
  const names = weightingNames();
  const methods = names.map((name) => createWeighting(name));
  const states = methods.map((m) => m.init(T));
  const times = names.map(() => [] as number[]);
  const failures = names.map(() => 0);
  const stepsPerEpoch = 10;
  for (let step = 0; step < warmup + calls; step++) {
    const losses = Array.from({ length: T }, (_, t) => 1 / (1 + 0.01 * step * (t + 1)));
    const ctx = { step, epoch: Math.floor(step / stepsPerEpoch), losses, rng, lastShared: [P - 5130, P] as [number, number], representationGrads };
    methods.forEach((m, i) => {
      const t0 = performance.now();
      const r = m.combine(grads, ctx, states[i]);
      const dt = performance.now() - t0;
      states[i] = r.state;
      failures[i] += r.solverFailures;
      if (step >= warmup) times[i].push(dt);
    });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ew = median(times[0]);
  console.log(`## Weightings: ms per combine, T = ${T}, P = ${P} (the hetero3 MLP's shared parameters); median of ${calls} interleaved calls, ratio to EW (the mean)`);
  names.forEach((name, i) => {
    const m = median(times[i]);
    const failed = failures[i] ? `   (${failures[i]} solver failures)` : '';
    console.log(`${name.padEnd(12)} ${m.toFixed(2).padStart(8)} ms   ${(m / ew).toFixed(2).padStart(6)}× EW${failed}`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchWeightings().catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exit(1);
  });
}
