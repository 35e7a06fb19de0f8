// The interface shared by the gradient/loss weighting strategies of multi-task learning.
// Every strategy is a pure function of the tasks' flattened shared-parameter gradients, their losses
// and a state object it returns; no tensors, no I/O.
//
// Scale convention (so that one learning rate serves all methods): the baseline `ew` returns the MEAN
// of the task gradients, and every other method is scaled so that at equal weights it reduces to that
// mean. For every method but those marked `linearInGrads: false`, `grad = Σ_t weights[t] · grads[t]`
// holds exactly (up to float32 rounding): `weights` are the effective coefficients of the task gradients
// in the returned shared gradient. The exceptions (GradDrop's per-coordinate sign masks, DB-MTL's and
// MoCo's tracked gradients) say in their own doc comment what their `weights` are.
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
  /**
   * false when the returned gradient is not Σ weights[t]·grads[t] of this call's gradients (per-coordinate
   * masks, or gradients tracked over steps); absent means it is.
   */
  linearInGrads?: false;
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
  /** GradVac: EMA rate β of the target cosine similarities. */
  gradvacBeta: number;
  /** FAMO: Adam learning rate and L2 decay γ of the task logits. */
  famoLr: number;
  famoGamma: number;
  /** DB-MTL: EMA rate β of the log-loss gradients, decayed as β/k^σ at step k. */
  dbmtlBeta: number;
  dbmtlBetaSigma: number;
  /** FairGrad: the α of α-fairness (1: proportional fairness). */
  fairgradAlpha: number;
  /** STCH: smoothing μ, and the epochs of log-loss warm-up before the nadir point is fixed. */
  stchMu: number;
  stchWarmupEpochs: number;
  /** UPGrad: Gram normalisation floor and ridge (relative to the normalised Gram). */
  upgradNormEps: number;
  upgradRegEps: number;
  /** GradDrop: leak ℓ ∈ [0, 1], the share of every gradient kept whatever the sign draw. */
  graddropLeak: number;
  /** MoCo: tracking rate β and λ step γ, decayed as β/k^σβ and γ/k^σγ; ridge ρ of the λ step. */
  mocoBeta: number;
  mocoBetaSigma: number;
  mocoGamma: number;
  mocoGammaSigma: number;
  mocoRho: number;
}
