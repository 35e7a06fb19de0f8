// Inference for one task: its effective extractor weights (S_t ⊙ θsh, or θsh when the task computes
// with the whole extractor) and its head, from a checkpoint or from an exported task model. Two paths:
//   dense   the same tfjs ops as training, on dense weights (zeros where the mask drops an entry);
//   sparse  only the kept weights, compressed (src/predictor/sparse-net.ts), on the native addon's
//           kernels or in TypeScript; used per batch where it is faster (src/io/sparse-crossover.ts).
// A task model's dense weights are built (scattered) only when a batch takes the dense path.
import * as tf from '@tensorflow/tfjs-core';
import { engineInfo, loadedEnginePlatform } from '../engine/setup.js';
import { makeExtractor, type Extractor, type ExtractorArch, type ForwardHooks } from '../model/extractor.js';
import { applyHead, headOutputWidth } from '../model/head.js';
import { paramSpecs } from '../model/layers.js';
import { FsmtlError } from '../util/errors.js';
import { networkOf, type TaskAdapter } from '../model/adapters.js';
import { adapterOf, taskIndex, towerOf, type Checkpoint, type HeadWeights } from './checkpoint.js';
import type { TaskModel } from './export.js';
import { scatterKept } from './sparse-layout.js';
import { taskKind } from '../tasks/registry.js';
import type { DecodedPredictions, PixelMaps, TaskSpec } from '../tasks/types.js';
import { headOutputs } from './checkpoint.js';
import { jsKernels, type SparseKernels } from '../predictor/kernels.js';
import { forwardPlan, hasPlan, PLANNED_ARCHS } from '../predictor/plan.js';
import { SparseNet, sparseCost } from '../predictor/sparse-net.js';
import type { StoredParam } from './task-model-reader.js';
import { density, sparseEverPays, useSparse, type SparsePolicy } from './sparse-crossover.js';

export interface TaskNetwork {
  task: string;
  arch: ExtractorArch;
  hidden: number[];
  inputShape: [number, number, number];
  /** What the task predicts (its head's width and how outputs become predictions). */
  spec: TaskSpec;
  /** Extractor parameters the task computes with, dense, in ParamSpec order. */
  readonly params: Float32Array[];
  /** The same as stored in a task model (sparse tensors as kept entries), when it came from one. */
  stored?: StoredParam[];
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
  let dense: Float32Array[] | undefined;
  return {
    task: m.task,
    arch: m.arch,
    hidden: m.hidden,
    inputShape: m.inputShape,
    spec: m.spec,
    get params() {
      dense ??= m.params.map((p, i) => (p.layout === 'dense' ? p.values : scatterKept({ size: m.specs[i].size, indices: p.indices, values: p.values })));
      return dense;
    },
    stored: m.params,
    head: m.head,
  };
}

export interface PredictorOptions {
  /** 'auto' (default): the sparse path for the batches where it is faster; 'sparse' or 'dense': always that path. */
  path?: SparsePolicy;
}

const kernelSet = (k: SparseKernels): 'native' | 'js' => (k.name === 'native' ? 'native' : 'js');

/** The sparse form of a network, or why it has none. */
function sparseForm(n: TaskNetwork, policy: SparsePolicy): { net: SparseNet; kernels: SparseKernels } | string {
  if (n.adapter) return `its ${n.adapter.adapter.name} task modules are not supported on the sparse path`;
  if (!hasPlan(n.arch)) return `extractor '${n.arch}' has no sparse forward plan (it runs ${PLANNED_ARCHS.join(', ')})`;
  // The C kernels with the native engine, the TypeScript ones with any other (their crossovers differ).
  // (The addon's kernels come through Node's engine platform, which keeps them out of browser bundles.)
  const kernels = (engineInfo()?.backend === 'native' ? loadedEnginePlatform()?.sparseKernels?.() : null) ?? jsKernels;
  const plan = forwardPlan(n.arch, n.inputShape, n.hidden);
  const stored: StoredParam[] = n.stored ?? n.params.map((values) => ({ layout: 'dense', values }));
  const outputs = headOutputs(n.spec);
  // Auto: build the compressed copy only if some batch size would use it.
  const cost = sparseCost(plan, stored, outputs);
  if (policy === 'auto' && !sparseEverPays(kernelSet(kernels), cost)) return `too dense to pay (density ${density(cost).toFixed(2)})`;
  return { net: new SparseNet(plan, stored, n.head, outputs, kernels.denseLayout), kernels };
}

/** The largest batch predicted at once with a per-pixel (dense-prediction) extractor. */
const PIXEL_BATCH = 32;

/** A task network with its weights uploaded as tensors. Call dispose() when done. */
export class Predictor {
  readonly extractor: Extractor;
  private denseWeights:
    | {
        params: tf.Tensor[];
        kernel: tf.Tensor2D;
        bias: tf.Tensor1D;
        adapterParams: tf.Tensor[];
        hooks: ForwardHooks | undefined;
        /** An architecture's forward pass for this task (null: the extractor's, with adapter hooks). */
        features: ((x: tf.Tensor4D) => tf.Tensor2D) | null;
      }
    | undefined;
  /** The compressed network and its kernels, or why there is none (the sparse path is off). */
  readonly sparse: { net: SparseNet; kernels: SparseKernels } | string;
  readonly policy: SparsePolicy;

  constructor(
    readonly network: TaskNetwork,
    opts: PredictorOptions = {},
  ) {
    if (!engineInfo()) throw new FsmtlError('the tensor engine is not initialised: call `await initEngine()` before predicting');
    const n = network;
    this.extractor = networkOf(makeExtractor(n.arch, n.inputShape, n.hidden), n.adapter?.adapter ?? null, n.adapter?.numTasks ?? 1);
    const specs = paramSpecs(this.extractor.layers);
    const sizeOf = (i: number) => (n.stored ? (n.stored[i].layout === 'dense' ? n.stored[i].values.length : specs[i].size) : n.params[i].length);
    if (specs.length !== (n.stored ?? n.params).length || specs.some((s, i) => s.size !== sizeOf(i))) {
      throw new FsmtlError(`task '${n.task}': its parameters do not fit its architecture (${n.arch}, hidden ${n.hidden.join('-')})`);
    }
    const adapter = n.adapter;
    const aspecs = adapter ? adapter.adapter.specs(this.extractor) : [];
    if (adapter && (aspecs.length !== adapter.params.length || aspecs.some((s, i) => s.size !== adapter.params[i].length))) {
      throw new FsmtlError(`task '${n.task}': its ${adapter.adapter.name} adapter parameters do not fit its architecture`);
    }
    this.policy = opts.path ?? 'auto';
    this.sparse = this.policy === 'dense' ? 'switched off' : sparseForm(n, this.policy);
    if (this.policy === 'sparse' && typeof this.sparse === 'string') throw new FsmtlError(`task '${n.task}': no sparse path: ${this.sparse}`);
    // Without a sparse form every batch is dense: upload now, as before.
    if (typeof this.sparse === 'string') this.dense();
  }

  /** The dense path's weights as tensors, uploaded on first use. */
  private dense() {
    if (this.denseWeights) return this.denseWeights;
    const n = this.network;
    const specs = paramSpecs(this.extractor.layers);
    const params = specs.map((s, i) => tf.tensor(n.params[i], s.shape));
    const kernel = tf.tensor2d(n.head.kernel, [this.extractor.featureDim, headOutputs(n.spec)]);
    const bias = tf.tensor1d(n.head.bias);
    const adapter = n.adapter;
    const aspecs = adapter ? adapter.adapter.specs(this.extractor) : [];
    const adapterParams = adapter ? aspecs.map((s, i) => tf.tensor(adapter.params[i], s.shape)) : [];
    const a = adapter?.adapter;
    const features = a?.forward ? (x: tf.Tensor4D) => a.forward!(this.extractor, x, params, adapterParams, aspecs) : null;
    const hooks: ForwardHooks | undefined = adapter ? { output: (layer, t) => adapter.adapter.apply(layer, t, adapterParams, aspecs) } : undefined;
    this.denseWeights = { params, kernel, bias, adapterParams, hooks, features };
    return this.denseWeights;
  }

  /** Whether a batch of m examples runs on the sparse path. */
  sparseFor(m: number): boolean {
    const s = this.sparse;
    return typeof s !== 'string' && useSparse(this.policy, kernelSet(s.kernels), s.net.cost, m);
  }

  /** Bytes of weights held now: the compressed network, and the dense tensors once a batch has needed them. */
  get residentBytes(): number {
    const s = typeof this.sparse === 'string' ? 0 : this.sparse.net.residentBytes;
    const d = this.denseWeights;
    return s + (d ? [...d.params, d.kernel, d.bias, ...d.adapterParams].reduce((a, t) => a + 4 * t.size, 0) : 0);
  }

  get inputSize(): number {
    return this.network.inputShape.reduce((a, b) => a * b, 1);
  }

  /**
   * Head outputs [n, outputs] row-major (logits, or standardised targets), for n inputs (row-major N×H×W×C);
   * [n, H·W·outputs] (per pixel, NHWC) for a dense-prediction extractor.
   */
  logits(images: Float32Array, n: number, batchSize = 1000): Float32Array {
    return this.run(images, n, batchSize);
  }

  /** The task's predictions for n inputs, in its kind's terms (class; class and probability; values). */
  decode(images: Float32Array, n: number, batchSize?: number): DecodedPredictions {
    const spec = this.network.spec;
    const kind = taskKind(spec);
    // A per-pixel network's activations are whole maps: smaller batches.
    return kind.decode(this.run(images, n, batchSize ?? (kind.pixels ? 32 : 1000)), n, spec);
  }

  /** Per-pixel predictions as maps (classes, or depths in the data's units), for a per-pixel task; null for others. */
  decodeMaps(images: Float32Array, n: number, batchSize = 32): PixelMaps | null {
    const spec = this.network.spec;
    const kind = taskKind(spec);
    return kind.decodeMaps ? kind.decodeMaps(this.run(images, n, batchSize), n, spec) : null;
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
    const C = headOutputWidth(this.extractor, headOutputs(this.network.spec));
    const out = new Float32Array(n * C);
    // Per-pixel extractors hold full-resolution activations: smaller batches.
    const batch = this.extractor.pixels ? Math.min(batchSize, PIXEL_BATCH) : batchSize;
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      const sp = this.sparse;
      if (typeof sp !== 'string' && this.sparseFor(m)) {
        out.set(sp.net.forward(images.subarray(s * size, (s + m) * size), m, sp.kernels), s * C);
        continue;
      }
      const d = this.dense();
      const r = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(s * size, (s + m) * size), [m, h, w, c]);
        const feats = d.features ? d.features(x) : this.extractor.forward(x, d.params, d.hooks);
        return applyHead(this.extractor, feats, d.kernel, d.bias);
      });
      out.set(r.dataSync() as Float32Array, s * C);
      r.dispose();
    }
    return out;
  }

  dispose(): void {
    const d = this.denseWeights;
    if (d) for (const t of [...d.params, d.kernel, d.bias, ...d.adapterParams]) t.dispose();
    this.denseWeights = undefined;
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
