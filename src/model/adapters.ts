// Task adapters: small task-owned modules inside the shared extractor (for example SE's
// squeeze-and-excitation blocks). The extractor stays shared; each task applies its own adapter to the
// output of every parametric layer. Adapter parameters are trained by their task's loss only, like heads.
import type * as tf from '@tensorflow/tfjs-core';
import type { Extractor } from './extractor.js';
import type { ParamSpec } from './layers.js';

export interface TaskAdapter {
  name: string;
  /** Parameter tensors of one task's adapter, in order (`layer` says which extractor layer each belongs to). */
  specs(extractor: Extractor): ParamSpec[];
  /** Transforms layer `layer`'s output `a` ([N, units] or [N, H, W, channels]) with one task's parameters. */
  apply(layer: number, a: tf.Tensor, params: tf.Tensor[], specs: ParamSpec[]): tf.Tensor;
}
