// What the rest of fsmtl sees of a dataset: plain typed arrays, no tensors, no I/O.

/** Examples of one split: images as float32 in [0, 1], row-major N×H×W×C; integer labels. */
export interface Split {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export interface TaskData {
  name: string;
  numClasses: number;
  train: Split;
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
  /** Shape of one example, [height, width, channels]. */
  inputShape: [number, number, number];
  tasks: TaskData[];
  /** Human-readable notes on where the data came from and how it was split (goes into results). */
  provenance: string[];
}
