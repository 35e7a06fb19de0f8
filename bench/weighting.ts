// ms per combine() call of every gradient weighting method, T = 3 tasks, P = 664576 shared parameters
// (random gradients with a common component). Median of 30 calls after 20 warm-up calls.
//
//   node --import tsx bench/weighting.ts
import { createWeighting, weightingNames } from '../src/methods/weighting/registry.js';
import { Rng } from '../src/util/rng.js';

const T = 3;
const P = 664576;
const WARMUP = 20;
const CALLS = 30;

const rng = new Rng(1);
const common = new Float32Array(P);
for (let i = 0; i < P; i++) common[i] = rng.normal();
const grads = Array.from({ length: T }, (_, t) => {
  const g = new Float32Array(P);
  const sign = t === 1 ? -0.3 : 0.5;
  for (let i = 0; i < P; i++) g[i] = (sign * common[i] + rng.normal()) * 1e-3;
  return g;
});

console.log(`T = ${T}, P = ${P}: median ms per combine over ${CALLS} calls`);
for (const name of weightingNames()) {
  const m = createWeighting(name);
  let state = m.init(T);
  const times: number[] = [];
  let failures = 0;
  for (let step = 0; step < WARMUP + CALLS; step++) {
    const losses = Array.from({ length: T }, (_, t) => 1 / (1 + 0.01 * step * (t + 1)));
    const t0 = performance.now();
    const r = m.combine(grads, { step, epoch: Math.floor(step / 10), losses, rng, lastShared: [P - 5130, P] }, state);
    const dt = performance.now() - t0;
    state = r.state;
    failures += r.solverFailures;
    if (step >= WARMUP) times.push(dt);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(`${name.padEnd(9)} ${med.toFixed(2).padStart(7)} ms${failures ? `  (${failures} solver failures)` : ''}`);
}
