// A sharing method decides which part of the shared extractor each task uses. The trainer asks it for
// masks at the start of each epoch; it never touches the model itself, only the callbacks it is given.
// Like the weightings (optax's shape), a method is pure: everything it remembers between epochs (its
// masks, smoothed Fisher scores, roaming sets, its RNG's position) lives in an explicit state that
// `init` creates and `masksFor` returns, so that a run can be resumed from a saved state.
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
}

/** A method's answer for one epoch. */
export interface MaskUpdate<S> {
  /** The masks in force from this epoch on (null: dense sharing). */
  masks: TaskMask[] | null;
  /** False when `masks` are the ones already in force, so the trainer keeps its mask tensors. */
  changed: boolean;
  state: S;
}

/** The state every method starts from: no masks yet. Methods extend it with what they remember. */
export interface SharingState {
  masks: TaskMask[] | null;
}

export interface SharingMethod<S extends SharingState = SharingState> {
  name: string;
  summary: string;
  /** STL: one extractor per task, nothing shared. */
  separateTowers: boolean;
  /** Task-owned modules inside the shared extractor (SE's blocks); trained by their task's loss only. */
  adapter?: TaskAdapter;
  init(numTasks: number): S;
  /** Masks for this epoch from the state after the previous one. */
  masksFor(request: MaskRequest, state: S): MaskUpdate<S>;
}

/** Keeps the masks in force (the answer of an epoch that changes nothing). */
export function keepMasks<S extends SharingState>(state: S): MaskUpdate<S> {
  return { masks: state.masks, changed: false, state };
}

/** Puts new masks in force. */
export function newMasks<S extends SharingState>(masks: TaskMask[] | null, state: S): MaskUpdate<S> {
  return { masks, changed: true, state: { ...state, masks } };
}

/** A dense method: no masks, nothing to remember. */
export const denseSharing = {
  init: (): SharingState => ({ masks: null }),
  masksFor: (_req: MaskRequest, state: SharingState): MaskUpdate<SharingState> => keepMasks(state),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds methods of every state type
export type MethodFactory = (config: TrainConfig) => SharingMethod<any>;
