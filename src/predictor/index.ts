// fsmtl/predictor: a task model exported by `fsmtl export` predicts here without TensorFlow.js, in
// Node or in a browser: it loads the file's bytes, keeps the kept weights sparse and computes only with
// them (plain TypeScript kernels). Nothing here imports tfjs or node: modules.
//
//   import { loadPredictor } from 'fsmtl/predictor';
//   const p = loadPredictor(new Uint8Array(await (await fetch('digit.safetensors')).arrayBuffer()));
//   const { outputs, predictions } = p.predict(pixels, 1); // pixels: Float32Array, N×H×W×C in 0…1
import { paramSpecs } from '../model/layers.js';
import { decodeSafetensors } from '../io/safetensors-codec.js';
import { readStoredTaskModel, type StoredTaskModel } from '../io/task-model-reader.js';
import { specKind, taskSpecSchema } from '../tasks/specs.js';
import type { DecodedPredictions, TaskSpec } from '../tasks/types.js';
import { jsKernels, type SparseKernels } from './kernels.js';
import { forwardPlan, hasPlan, PLANNED_ARCHS } from './plan.js';
import { FsmtlError } from '../util/errors.js';
import { SparseNet } from './sparse-net.js';

export interface TaskPrediction {
  /** Head outputs, n × outputs row-major (logits, or standardised targets). */
  outputs: Float32Array;
  /** The task kind's reading of them: classes; class and probability; values in the data's units. */
  predictions: DecodedPredictions;
}

export class TaskModelPredictor {
  readonly net: SparseNet;

  constructor(
    readonly model: StoredTaskModel,
    private readonly kernels: SparseKernels = jsKernels,
  ) {
    const plan = forwardPlan(model.arch, model.inputShape, model.hidden);
    this.net = new SparseNet(plan, model.params, model.head, specKind(model.spec).outputs(model.spec), kernels.denseLayout);
  }

  get task(): string {
    return this.model.task;
  }

  get spec(): TaskSpec {
    return this.model.spec;
  }

  get inputShape(): [number, number, number] {
    return this.model.inputShape;
  }

  /** Bytes of weights this predictor holds. */
  get residentBytes(): number {
    return this.net.residentBytes;
  }

  /** Head outputs for n inputs (row-major N×H×W×C floats). */
  outputs(x: Float32Array, n: number): Float32Array {
    return this.net.forward(x, n, this.kernels);
  }

  /** Head outputs and the task's predictions for n inputs (row-major N×H×W×C floats). */
  predict(x: Float32Array, n: number): TaskPrediction {
    const outputs = this.outputs(x, n);
    return { outputs, predictions: specKind(this.spec).decode(outputs, n, this.spec) };
  }
}

/** Reads an exported task model from its bytes; `name` (a path or URL) starts every error message. */
export function readTaskModel(bytes: Uint8Array, name = 'task model'): StoredTaskModel {
  const file = decodeSafetensors(bytes, name);
  const arch = file.metadata.arch;
  if (arch !== undefined && !hasPlan(arch)) {
    try {
      forwardPlan(arch, [1, 1, 1], []);
    } catch (e) {
      throw new FsmtlError(`${name}: ${(e as Error).message}`);
    }
  }
  return readStoredTaskModel(file, name, {
    archs: PLANNED_ARCHS,
    shapes(arch, inputShape, hidden) {
      const plan = forwardPlan(arch, inputShape, hidden);
      return { specs: paramSpecs(plan.layers), featureDim: plan.featureDim };
    },
    // The kinds it decodes (src/tasks/specs.ts); a model of another kind is refused with their names.
    specSchema: taskSpecSchema,
    outputs: (spec) => specKind(spec).outputs(spec),
  });
}

/** A predictor for the task model in `bytes` (a safetensors file written by `fsmtl export`). */
export function loadPredictor(bytes: Uint8Array, name = 'task model'): TaskModelPredictor {
  return new TaskModelPredictor(readTaskModel(bytes, name));
}

export { jsKernels, type SparseKernels } from './kernels.js';
export { forwardPlan, hasPlan, PLANNED_ARCHS, type ForwardPlan } from './plan.js';
export { SparseNet, type SparseCost } from './sparse-net.js';
export type { StoredTaskModel, StoredParam } from '../io/task-model-reader.js';
export type { DecodedPredictions, TaskSpec } from '../tasks/types.js';
export { FsmtlError } from '../util/errors.js';
