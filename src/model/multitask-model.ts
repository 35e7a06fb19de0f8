// A multi-task network: one shared extractor (θsh, the parameters masks cover) and one dense linear
// head per task (θ_t), as wide as the task kind's output (classes, 1 logit, D targets), applied per pixel
// for a dense-prediction extractor (src/model/head.ts). STL is the same network with one extractor copy per task ("towers").
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from './adapters.js';
import type { Extractor, ForwardHooks } from './extractor.js';
import { applyHead } from './head.js';
import { paramSpecs, type ParamSpec } from './layers.js';
import { initHead, initParams } from './init.js';
import { Rng } from '../util/rng.js';

export interface Head {
  kernel: tf.Variable;
  bias: tf.Variable;
}

export class MultiTaskModel {
  readonly specs: ParamSpec[];
  /** towers[k] are the extractor parameters; one tower shared by all tasks, or one per task (STL). */
  readonly towers: tf.Variable[][];
  readonly heads: Head[];
  /** adapters[t]: task t's adapter parameters inside the extractor (empty without an adapter, e.g. SE's blocks). */
  readonly adapters: tf.Variable[][];
  /** Parameter tensors of one task's adapter (empty without one). */
  readonly adapterSpecs: ParamSpec[];

  constructor(
    readonly extractor: Extractor,
    /** Head width of each task (TaskKind.outputs). */
    readonly outputs: number[],
    seed: number,
    readonly separateTowers = false,
    readonly adapter: TaskAdapter | null = null,
  ) {
    this.specs = paramSpecs(extractor.layers);
    const rng = Rng.derive(seed, 'init');
    const towerCount = separateTowers ? outputs.length : 1;
    this.towers = [];
    for (let k = 0; k < towerCount; k++) {
      const values = extractor.init ? extractor.init(this.specs, rng) : initParams(this.specs, rng);
      this.towers.push(values.map((v, i) => variable(v, this.specs[i].shape, `tower${k}/${this.specs[i].name}`)));
    }
    this.heads = outputs.map((c, t) => {
      const h = initHead(extractor.featureDim, c, rng);
      return {
        kernel: variable(h.kernel, [extractor.featureDim, c], `head${t}/kernel`),
        bias: variable(h.bias, [c], `head${t}/bias`),
      };
    });
    // A separate stream, so that adding an adapter leaves the extractor's and heads' initial weights unchanged.
    const adapterRng = Rng.derive(seed, 'adapters');
    this.adapterSpecs = adapter ? adapter.specs(extractor) : [];
    this.adapters = outputs.map((_, t) =>
      (adapter?.init ? adapter.init(this.adapterSpecs, adapterRng, t) : initParams(this.adapterSpecs, adapterRng)).map((v, i) =>
        variable(v, this.adapterSpecs[i].shape, `adapter${t}/${this.adapterSpecs[i].name}`),
      ),
    );
  }

  get numTasks(): number {
    return this.heads.length;
  }

  /** Extractor parameters seen by task t (before masking). */
  tower(t: number): tf.Variable[] {
    return this.separateTowers ? this.towers[t] : this.towers[0];
  }

  /** Number of shared (maskable) parameters in one tower. */
  get sharedSize(): number {
    return this.specs.reduce((a, s) => a + s.size, 0);
  }

  /**
   * Head outputs of task t for x (logits, or standardised targets), with the given effective extractor
   * parameters: [N, outputs], or [N, H·W·outputs] per pixel for a dense-prediction extractor.
   */
  logits(t: number, x: tf.Tensor4D, params: tf.Tensor[]): tf.Tensor2D {
    return this.logitsWith(x, params, this.heads[t].kernel, this.heads[t].bias, this.adapters[t]);
  }

  /** Task features for x: the extractor with these parameters, and the task's adapter when there is one; `taps` see the extractor's layers. */
  features(x: tf.Tensor4D, params: tf.Tensor[], adapterParams: tf.Tensor[] = [], taps?: ForwardHooks): tf.Tensor2D {
    const adapter = this.adapter;
    if (adapter?.forward) return adapter.forward(this.extractor, x, params, adapterParams, this.adapterSpecs, taps);
    const hooks: ForwardHooks | undefined = adapter
      ? { ...taps, output: (layer, a) => adapter.apply(layer, a, adapterParams, this.adapterSpecs) }
      : taps;
    return this.extractor.forward(x, params, hooks);
  }

  /** The extractor as task t computes it (its adapter bound in), for code that taps the forward pass: the Fisher. */
  taskExtractor(t: number): Extractor {
    if (!this.adapter) return this.extractor;
    return { ...this.extractor, composite: this.extractor.composite ?? this.adapter.name, forward: (x, p, hooks) => this.features(x, p, this.adapters[t], hooks) };
  }

  /** Logits with explicit extractor, head and adapter parameters (so that gradients can be taken with respect to them). */
  logitsWith(x: tf.Tensor4D, params: tf.Tensor[], headKernel: tf.Tensor, headBias: tf.Tensor, adapterParams: tf.Tensor[] = []): tf.Tensor2D {
    return applyHead(this.extractor, this.features(x, params, adapterParams), headKernel, headBias);
  }

  /** Every trainable variable: towers, then heads, then adapters (the optimiser's order). */
  allVariables(): tf.Variable[] {
    return [...this.towers.flat(), ...this.heads.flatMap((h) => [h.kernel, h.bias]), ...this.adapters.flat()];
  }

  dispose(): void {
    for (const v of this.allVariables()) v.dispose();
  }
}

/**
 * A trainable variable holding these values. The variable shares the initial tensor's data, which stays
 * alive while the variable does; the tensor itself is disposed here, or every model would leave one copy
 * of its weights behind after dispose().
 */
function variable(values: Float32Array, shape: number[], name: string): tf.Variable {
  const initial = tf.tensor(values, shape);
  const v = tf.variable(initial, true, name);
  initial.dispose();
  return v;
}
