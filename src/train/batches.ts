// Which examples each task sees in each step. Every task walks its own shuffled order; an epoch has
// as many steps as the largest task needs, smaller tasks wrap around. Homogeneous benchmarks use one
// order for all tasks, so that a step feeds every task the same images (as the paper does).
import { Rng } from '../util/rng.js';

export function epochBatches(sizes: number[], batchSize: number, shared: boolean, rng: Rng): Int32Array[][] {
  const steps = Math.ceil(Math.max(...sizes) / batchSize);
  const orders = shared ? new Array(sizes.length).fill(rng.permutation(sizes[0])) : sizes.map((n) => rng.permutation(n));
  return Array.from({ length: steps }, (_, s) =>
    sizes.map((n, t) => {
      const b = new Int32Array(Math.min(batchSize, n));
      for (let i = 0; i < b.length; i++) b[i] = orders[t][(s * batchSize + i) % n];
      return b;
    }),
  );
}
