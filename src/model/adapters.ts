// Task adapters: small task-owned modules inside the shared extractor (for example SE's
// squeeze-and-excitation blocks). The extractor stays shared; each task applies its own adapter to the
// output of every parametric layer. Adapter parameters are trained by their task's loss only, like heads.
import type * as tf from '@tensorflow/tfjs-core';
import type { Extractor, ForwardHooks } from './extractor.js';
import type { ParamSpec } from './layers.js';
import type { Rng } from '../util/rng.js';

export interface TaskAdapter {
  name: string;
  /** Parameter tensors of one task's adapter, in order (`layer` says which extractor layer each belongs to). */
  specs(extractor: Extractor): ParamSpec[];
  /** Transforms layer `layer`'s output `a` ([N, units] or [N, H, W, channels]) with one task's parameters. */
  apply(layer: number, a: tf.Tensor, params: tf.Tensor[], specs: ParamSpec[]): tf.Tensor;
  // Multi-task architectures (src/model/architectures) are adapters that also rebuild the shared network:
  /** The shared network (θsh) for `numTasks` tasks over the configured extractor (absent: the extractor itself). */
  network?(base: Extractor, numTasks: number): Extractor;
  /** A task's features from θsh and its own parameters, in place of the network's forward and apply(); hooks tap θsh's layers. */
  forward?(network: Extractor, x: tf.Tensor4D, params: tf.Tensor[], taskParams: tf.Tensor[], specs: ParamSpec[], hooks?: ForwardHooks): tf.Tensor2D;
  /** Initial values of task `task`'s parameters, when not He-uniform (gates). */
  init?(specs: ParamSpec[], rng: Rng, task: number): Float32Array[];
}

/** The shared network a model with this adapter holds for `numTasks` tasks. */
export function networkOf(base: Extractor, adapter: TaskAdapter | null, numTasks: number): Extractor {
  return adapter?.network ? adapter.network(base, numTasks) : base;
}
