// Inference for one task: its dense effective extractor weights (S_t ⊙ θsh, or θsh when the task
// computes with the whole extractor) and its head, from a checkpoint or from an exported task model.
// A sparse task model is scattered back into dense matrices once, at load time; prediction then runs
// the same dense ops as training (so the outputs are those of the full multi-task model).
import * as tf from '@tensorflow/tfjs-core';
import { engineInfo } from '../engine/setup.js';
import { makeExtractor, type Extractor, type ExtractorArch, type ForwardHooks } from '../model/extractor.js';
import { paramSpecs } from '../model/layers.js';
import { FsmtlError } from '../util/errors.js';
import { networkOf, type TaskAdapter } from '../model/adapters.js';
import { adapterOf, taskIndex, towerOf, type Checkpoint, type HeadWeights } from './checkpoint.js';
import type { TaskModel } from './export.js';
import { scatterKept } from './sparse-layout.js';
import { taskKind } from '../tasks/registry.js';
import type { DecodedPredictions, TaskSpec } from '../tasks/types.js';
import { headOutputs } from './checkpoint.js';

export interface TaskNetwork {
  task: string;
  arch: ExtractorArch;
  hidden: number[];
  inputShape: [number, number, number];
  /** What the task predicts (its head's width and how outputs become predictions). */
  spec: TaskSpec;
  /** Extractor parameters the task computes with, dense, in ParamSpec order. */
  params: Float32Array[];
  head: HeadWeights;
  /** The task's modules inside the shared network (SE's blocks, an architecture's gates...), and the model's task count. */
  adapter?: { adapter: TaskAdapter; params: Float32Array[]; numTasks: number };
}

/** The network task `task` predicts with in a checkpoint. */
export function checkpointNetwork(c: Checkpoint, task: string | number): TaskNetwork {
  const t = taskIndex(c, task);
  const tower = towerOf(c, t);
  const masked = c.masks !== null && c.config.fs.placement === 'forward';
  // m ? v : 0 rather than v * m, so that dropped entries are +0 exactly as in a scattered task model.
  const params = tower.map((v, i) => (masked ? v.map((x, j) => (c.masks![t][i][j] ? x : 0)) : v));
  const adapter = adapterOf(c);
  return {
    task: c.tasks[t],
    arch: c.config.arch,
    hidden: c.config.hidden,
    inputShape: c.inputShape,
    spec: c.taskSpecs[t],
    params,
    head: c.heads[t],
    ...(adapter && c.adapters ? { adapter: { adapter, params: c.adapters[t], numTasks: c.tasks.length } } : {}),
  };
}

/** The dense network of an exported task model (sparse tensors scattered into zeros). */
export function taskModelNetwork(m: TaskModel): TaskNetwork {
  return {
    task: m.task,
    arch: m.arch,
    hidden: m.hidden,
    inputShape: m.inputShape,
    spec: m.spec,
    params: m.params.map((p, i) => (p.layout === 'dense' ? p.values : scatterKept({ size: m.specs[i].size, indices: p.indices, values: p.values }))),
    head: m.head,
  };
}

/** A task network with its weights uploaded as tensors. Call dispose() when done. */
export class Predictor {
  readonly extractor: Extractor;
  private readonly params: tf.Tensor[];
  private readonly kernel: tf.Tensor2D;
  private readonly bias: tf.Tensor1D;
  private readonly hooks: ForwardHooks | undefined;
  private readonly adapterParams: tf.Tensor[];
  /** An architecture's forward pass for this task (null: the extractor's, with adapter hooks). */
  private readonly features: ((x: tf.Tensor4D) => tf.Tensor2D) | null;

  constructor(readonly network: TaskNetwork) {
    if (!engineInfo()) throw new FsmtlError('the tensor engine is not initialised: call `await initEngine()` before predicting');
    const n = network;
    this.extractor = networkOf(makeExtractor(n.arch, n.inputShape, n.hidden), n.adapter?.adapter ?? null, n.adapter?.numTasks ?? 1);
    const specs = paramSpecs(this.extractor.layers);
    if (specs.length !== n.params.length || specs.some((s, i) => s.size !== n.params[i].length)) {
      throw new FsmtlError(`task '${n.task}': its parameters do not fit its architecture (${n.arch}, hidden ${n.hidden.join('-')})`);
    }
    this.params = specs.map((s, i) => tf.tensor(n.params[i], s.shape));
    this.kernel = tf.tensor2d(n.head.kernel, [this.extractor.featureDim, headOutputs(n.spec)]);
    this.bias = tf.tensor1d(n.head.bias);
    const adapter = n.adapter;
    const aspecs = adapter ? adapter.adapter.specs(this.extractor) : [];
    if (adapter && (aspecs.length !== adapter.params.length || aspecs.some((s, i) => s.size !== adapter.params[i].length))) {
      throw new FsmtlError(`task '${n.task}': its ${adapter.adapter.name} adapter parameters do not fit its architecture`);
    }
    this.adapterParams = adapter ? aspecs.map((s, i) => tf.tensor(adapter.params[i], s.shape)) : [];
    const a = adapter?.adapter;
    this.features = a?.forward ? (x) => a.forward!(this.extractor, x, this.params, this.adapterParams, aspecs) : null;
    this.hooks = adapter ? { output: (layer, a) => adapter.adapter.apply(layer, a, this.adapterParams, aspecs) } : undefined;
  }

  get inputSize(): number {
    return this.network.inputShape.reduce((a, b) => a * b, 1);
  }

  /** Head outputs [n, outputs] row-major (logits, or standardised targets), for n inputs (row-major N×H×W×C). */
  logits(images: Float32Array, n: number, batchSize = 1000): Float32Array {
    return this.run(images, n, batchSize);
  }

  /** The task's predictions for n inputs, in its kind's terms (class; class and probability; values). */
  decode(images: Float32Array, n: number, batchSize = 1000): DecodedPredictions {
    const spec = this.network.spec;
    return taskKind(spec).decode(this.run(images, n, batchSize), n, spec);
  }

  /** The first column of decode(): the predicted class of a classification task, the first target of a regression. */
  predict(images: Float32Array, n: number, batchSize = 1000): Float64Array {
    return this.decode(images, n, batchSize).values[0];
  }

  private run(images: Float32Array, n: number, batchSize: number): Float32Array {
    const size = this.inputSize;
    const [h, w, c] = this.network.inputShape;
    if (!Number.isSafeInteger(n) || n < 0 || images.length !== n * size) {
      throw new FsmtlError(`task '${this.network.task}': expected ${n} images of ${h}×${w}×${c} = ${n * size} values, got ${images.length}`);
    }
    const C = headOutputs(this.network.spec);
    const out = new Float32Array(n * C);
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const r = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(s * size, (s + m) * size), [m, h, w, c]);
        const feats = this.features ? this.features(x) : this.extractor.forward(x, this.params, this.hooks);
        return tf.add(tf.matMul(feats, this.kernel), this.bias);
      });
      out.set(r.dataSync() as Float32Array, s * C);
      r.dispose();
    }
    return out;
  }

  dispose(): void {
    for (const t of [...this.params, this.kernel, this.bias, ...this.adapterParams]) t.dispose();
  }
}

/** predict() of n inputs with a task network (uploads its weights, predicts, frees them). */
export function predict(model: TaskNetwork | Predictor, images: Float32Array, n: number): Float64Array {
  if (model instanceof Predictor) return model.predict(images, n);
  const p = new Predictor(model);
  try {
    return p.predict(images, n);
  } finally {
    p.dispose();
  }
}
