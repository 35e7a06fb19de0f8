// When the sparse path pays (docs/sparse-inference.md). The sparse kernels do one multiply-add per kept
// weight (per output pixel for a conv) but each costs more than one of the dense engine's, whose per-op
// overhead in turn dominates small batches. So the choice depends on the density
//   d = multiply-adds with the kept weights / multiply-adds of the dense network   (SparseNet.cost)
// and the batch: the sparse path runs a batch of m examples iff d ≤ CROSSOVER[kernels][bucket(m)].
// The thresholds were measured by `npm run bench` (bench/sparse.ts prints the measured crossovers next
// to these) and set below the measured crossover, so that a wrong guess errs towards dense.
import type { SparseCost } from '../predictor/sparse-net.js';

export type SparsePolicy = 'auto' | 'sparse' | 'dense';

/** Batch sizes the thresholds are given at; a batch uses the largest bucket ≤ its size. */
export const CROSSOVER_BATCHES = [1, 4, 16, 64, 256] as const;

/**
 * Densities at or below which the sparse path is used, per kernel set and batch bucket.
 * native: C kernels (native/src/sparse_infer.c) against the native engine's dense matmuls and convs;
 * js: TypeScript kernels against the wasm engine (or any other tfjs backend).
 */
export const CROSSOVER: Record<'native' | 'js', readonly number[]> = {
  native: [0.2, 0.3, 0.4, 0.3, 0.2],
  js: [0.5, 0.2, 0.05, 0.04, 0.03],
};

/** The largest density at which the sparse path runs a batch of m examples. */
export function crossoverDensity(kernels: 'native' | 'js', m: number): number {
  let b = 0;
  for (let i = 0; i < CROSSOVER_BATCHES.length; i++) if (m >= CROSSOVER_BATCHES[i]) b = i;
  return CROSSOVER[kernels][b];
}

export function density(c: SparseCost): number {
  return c.keptMacs / c.denseMacs;
}

/** Whether some batch size runs on the sparse path (else a predictor keeps no compressed copy). */
export function sparseEverPays(kernels: 'native' | 'js', cost: SparseCost): boolean {
  return density(cost) <= Math.max(...CROSSOVER[kernels]);
}

/** Whether a batch of m examples runs on the sparse path. */
export function useSparse(policy: SparsePolicy, kernels: 'native' | 'js', cost: SparseCost, m: number): boolean {
  if (policy !== 'auto') return policy === 'sparse';
  return density(cost) <= crossoverDensity(kernels, m);
}
