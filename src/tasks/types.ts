// A task kind owns everything that depends on what a task predicts: the width of its head, how its
// labels are stored and encoded for training, its loss, the log-likelihood the Fisher information
// uses (Eqs. 9–10), its metrics with their directions, and how a prediction is written out. The
// trainer, the Fisher module, the store, the report and the model files only talk to this interface
// (LibMTL's task_dict of loss and metric per task is the model).
//
// Labels of every kind are float32 rows, `labelWidth` numbers per example; NaN marks a missing label,
// which the loss, the Fisher sample and the metrics skip.
import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';

/** Which log-likelihood the Fisher squares: the model's prediction (Eq. 10), the true label, or the exact expectation (Eq. 9). */
export type FisherLabel = 'predicted' | 'true' | 'exact';

export interface MulticlassSpec {
  kind: 'multiclass';
  /** Number of classes C; labels are integers 0 … C−1. */
  classes: number;
  /** Optional display names of the classes, in label order. */
  classNames?: string[];
}

export interface BinarySpec {
  kind: 'binary';
  /** Optional names of the negative (0) and positive (1) outcomes. */
  classNames?: [string, string];
}

export interface RegressionSpec {
  kind: 'regression';
  /** Number of real targets D per example. */
  targets: number;
  targetNames?: string[];
  /**
   * Per-target mean and standard deviation of the training labels. The network predicts standardised
   * targets (so that one learning rate suits any unit); predictions and metrics are in the data's units.
   * Filled by prepare() from the training split.
   */
  mean?: number[];
  std?: number[];
}

/** Per-pixel tasks (dense prediction) predict on a height × width grid: labels and outputs are NHWC rows. */
export interface PixelGrid {
  height: number;
  width: number;
}

export interface SegmentationSpec extends PixelGrid {
  kind: 'segmentation';
  /** Number of classes C; each pixel's label is an integer 0 … C−1. */
  classes: number;
  classNames?: string[];
  /** A label value that marks an unlabelled pixel (e.g. −1 or 255), besides NaN. */
  ignore?: number;
}

export interface DepthSpec extends PixelGrid {
  kind: 'depth';
  /** The depths' unit, for reports and written maps (e.g. 'm'). */
  unit?: string;
  /** A label value that marks a pixel without depth (e.g. 0), besides NaN. */
  invalid?: number;
  /** Mean and standard deviation of the valid training depths (filled by prepare(); the network predicts standardised depth). */
  mean?: number;
  std?: number;
}

export type TaskSpec = MulticlassSpec | BinarySpec | RegressionSpec | SegmentationSpec | DepthSpec;
export type TaskKindName = TaskSpec['kind'];

export interface MetricDef {
  name: string;
  /** Column title in tables, e.g. "F1", "MAE". */
  title: string;
  higherIsBetter: boolean;
}

/** Accumulates a task's metrics over batches, so that a test set never has to be held at once. */
export interface MetricAccumulator {
  /** out: raw head outputs, n × outputs row-major; y: labels as stored (n × labelWidth, NaN = missing). */
  add(out: Float32Array, y: Float32Array, n: number): void;
  /** Every metric of metrics(spec), by name; NaN when no labelled example was seen. */
  result(): Record<string, number>;
}

/** One task's log-likelihood for the batched per-example Fisher (src/sparse/fisher.ts). */
export interface FisherLikelihood {
  /** Backward passes needed: 1 for a single target; one per class or target for an exact expectation. */
  terms: number;
  /**
   * Σ_i of example i's log-likelihood at term `term`'s target, as a function of the head outputs.
   * Targets picked from `out` (a prediction) must go through ops without gradient (argMax, comparisons).
   */
  objective(out: tf.Tensor2D, y: tf.Tensor2D, term: number): tf.Scalar;
  /** Per-example weight of term `term` (the probability of its target under the model), or null for 1. */
  weight(out: tf.Tensor2D, term: number): tf.Tensor1D | null;
}

/** A written prediction: named columns of one number per example each. */
export interface DecodedPredictions {
  columns: string[];
  /** values[c][i]: column c of example i. */
  values: Float64Array[];
}

/** Per-pixel predictions of n examples: n × height × width values, row-major. */
export interface PixelMaps {
  /** 'classes': integer class indices (segmentation); 'values': real values in `unit` (depth). */
  type: 'classes' | 'values';
  height: number;
  width: number;
  values: Float32Array;
  classes?: number;
  unit?: string;
}

export interface TaskKind<S extends TaskSpec = TaskSpec> {
  name: S['kind'];
  /** For help texts and reports. */
  summary: string;
  /** Validates a spec as it appears in configs, manifests and model files. */
  specSchema: z.ZodType<S>;
  /** Width of the head's output per example, or per pixel for a per-pixel kind (its pixels() grid). */
  outputs(spec: S): number;
  /**
   * Per-pixel kinds only: the grid the task predicts on. The model's output is then height·width·outputs
   * per example (NHWC), and the extractor must produce features on the same grid.
   */
  pixels?(spec: S): PixelGrid;
  /** Numbers stored per example in a label row. */
  labelWidth(spec: S): number;
  /**
   * Checks stored labels (NaN = missing is always allowed); throws an FsmtlError naming `where` and the
   * first bad row (1-based) and value.
   */
  checkLabels(y: Float32Array, n: number, spec: S, where: string): void;
  /** The spec completed from the training labels (e.g. regression's standardisation); others return it unchanged. */
  prepare(spec: S, trainY: Float32Array, n: number): S;
  /** Labels as the loss and the Fisher see them (e.g. standardised); missing stays NaN. */
  encodeLabels(y: Float32Array, spec: S): Float32Array;
  /**
   * The loss of an uninformed constant prediction (uniform classes, a standardised mean): the trainer's
   * divergence rule compares training losses with it.
   */
  baselineLoss(spec: S): number;
  /** Mean loss over the labelled examples of a batch; `missing` says whether the labels may hold NaN. */
  loss(out: tf.Tensor2D, y: tf.Tensor2D, spec: S, missing: boolean): tf.Scalar;
  fisher(spec: S, label: FisherLabel): FisherLikelihood;
  /** The metrics it reports, with their directions. */
  metrics: MetricDef[];
  /** The few of them a table of tasks of several kinds shows per task (Δm still uses every metric). */
  tableMetrics: string[];
  /** The metric shown when a run has to be summed up in one number (progress lines). */
  primaryMetric: string;
  accumulator(spec: S): MetricAccumulator;
  /** Head outputs (n × outputs) as predictions in the data's own terms: classes, 0/1 and probability, real values. */
  decode(out: Float32Array, n: number, spec: S): DecodedPredictions;
  /** Per-pixel kinds: predictions as maps (class indices, or values in the data's unit), for images and .npy files. */
  decodeMaps?(out: Float32Array, n: number, spec: S): PixelMaps;
}
