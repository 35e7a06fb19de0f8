// What the rest of fsmtl sees of a dataset: plain typed arrays, no tensors, no I/O.
import type { TaskSpec } from '../tasks/types.js';

/**
 * Examples of one split: inputs as float32, row-major N × H × W × C (images in [0, 1]; tabular vectors
 * as 1 × 1 × D); labels as float32 rows of the task kind's label width, NaN where a label is missing.
 */
export interface Split {
  x: Float32Array;
  y: Float32Array;
  n: number;
}

export interface TaskData {
  name: string;
  /** What the task predicts (its kind and the kind's parameters, e.g. the class count). */
  spec: TaskSpec;
  train: Split;
  /** Validation examples, when the benchmark has its own; otherwise carved from train (src/data/validation.ts). */
  val?: Split;
  test: Split;
}

export interface Benchmark {
  name: string;
  /**
   * 'heterogeneous': each task has its own inputs (hetero3).
   * 'homogeneous': all tasks label the same inputs (multimnist); then tasks[t].train.x is the same
   * array for every t, and examples are aligned across tasks.
   */
  kind: 'heterogeneous' | 'homogeneous';
  /** Shape of one example, [height, width, channels] ([1, 1, D] for a vector of D features). */
  inputShape: [number, number, number];
  tasks: TaskData[];
  /** Human-readable notes on where the data came from and how it was split (goes into results). */
  provenance: string[];
  /** Content hash of the data (user data: enters the run hash, so that changed files are new runs). */
  dataHash?: string;
}

/** Ten-class labels (the MNIST family) as a task spec. */
export const TEN_CLASSES: TaskSpec = { kind: 'multiclass', classes: 10 };
