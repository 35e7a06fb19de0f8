// A sharing method decides which part of the shared extractor each task uses. The trainer asks it for
// masks at the start of each epoch; it never touches the model itself, only the callbacks it is given.
import type { TaskAdapter } from '../model/adapters.js';
import type { ParamSpec } from '../model/layers.js';
import type { TaskMask } from '../sparse/masks.js';
import type { TrainConfig } from '../train/config.js';

export interface MaskRequest {
  epoch: number;
  specs: ParamSpec[];
  numTasks: number;
  /** Diagonal Fisher of task t's shared parameters (one array per parameter tensor), estimated on demand. */
  fisher(t: number): Float32Array[];
  /** The masks in force (null while dense). */
  current: TaskMask[] | null;
}

export interface SharingMethod {
  name: string;
  summary: string;
  /** STL: one extractor per task, nothing shared. */
  separateTowers: boolean;
  /** Task-owned modules inside the shared extractor (SE's blocks); trained by their task's loss only. */
  adapter?: TaskAdapter;
  /** Masks for this epoch: new ones, `request.current` to keep them, or null for dense sharing. */
  masksFor(request: MaskRequest): TaskMask[] | null;
}

export type MethodFactory = (config: TrainConfig) => SharingMethod;
