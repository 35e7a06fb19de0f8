// The interface shared by the gradient/loss weighting strategies of multi-task learning.
// Every strategy is a pure function of the tasks' flattened shared-parameter gradients, their losses
// and a state object it returns; no tensors, no I/O.
//
// Scale convention (so that one learning rate serves all methods): the baseline `ew` returns the MEAN
// of the task gradients, and every other method is scaled so that at equal weights it reduces to that
// mean. For every method, `grad = Σ_t weights[t] · grads[t]` holds exactly (up to float32 rounding):
// `weights` are the effective coefficients of the task gradients in the returned shared gradient.
import type { Rng } from '../../util/rng.js';

export interface WeightingContext {
  /** 0-based global step and epoch. */
  step: number;
  epoch: number;
  /** Each task's loss at this step (mean over its batch). */
  losses: number[];
  /** Seeded RNG owned by the run (use it for every random draw, so runs are reproducible). */
  rng: Rng;
  /** Range [start, end) of the flattened vector that holds the LAST shared layer's parameters (GradNorm uses it). */
  lastShared: [number, number];
  /**
   * Each task's loss gradient with respect to its shared representation (the extractor's output on its
   * batch, flattened); computed only for weightings with `needsRepresentationGrads` (MGDA-UB).
   */
  representationGrads?: Float32Array[];
}

export interface CombineResult<S> {
  /** The combined gradient on the shared parameters, length P (new array). */
  grad: Float32Array;
  /** Multiplier for each task's head gradient (1 for pure gradient-combination methods; the loss weight for loss-weighting methods). */
  headScale: number[];
  /** Per-task weights actually used this step (for logs), e.g. MGDA's α. */
  weights: number[];
  state: S;
  /** Solver steps that did not converge at this call (0 or 1 per solve); counted in the run result. */
  solverFailures: number;
}

export interface GradientWeighting<S = unknown> {
  name: string;
  /** One-line description with the source paper. */
  summary: string;
  /** Ask the trainer for ctx.representationGrads (one extra small backward pass per task and step). */
  needsRepresentationGrads?: boolean;
  init(numTasks: number): S;
  combine(grads: Float32Array[], ctx: WeightingContext, state: S): CombineResult<S>;
}

export type WeightingFactory = (opts: WeightingOptions) => GradientWeighting;

export interface WeightingOptions {
  gradnormAlpha: number;
  gradnormLr: number;
  cagradC: number;
  dwaTemperature: number;
  nashMaxIter: number;
}
