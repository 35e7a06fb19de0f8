// A task's stand-alone inference model: only the shared parameters its mask keeps, plus its head
// (format in docs/checkpoint-format.md). Per extractor tensor, either
//   extractor/<param>/indices  U16|U32 [k]  kept flat indices, delta-encoded (src/io/sparse-layout.ts)
//   extractor/<param>/values   F32 [k]      kept values
// or, where that would not be smaller (or the task predicts with the dense extractor),
//   extractor/<param>          F32 shape    dense values (zeros where the mask drops an entry)
// and head/kernel, head/bias (F32). Metadata: arch, hidden, input_shape, task_spec (JSON; format 1 had
// num_classes), task, method,
// keep, placement, kept and shared parameter counts, param_shapes.
import { EXTRACTOR_NAMES, makeExtractor, type ExtractorArch } from '../model/extractor.js';
import { paramSpecs, type ParamSpec } from '../model/layers.js';
import { taskSpecSchema } from '../tasks/registry.js';
import type { TrainedModel } from '../train/trainer.js';
import { FSMTL_VERSION } from '../train/trainer.js';
import { FsmtlError } from '../util/errors.js';
import { checkpointFromTrained, headOutputs, taskIndex, towerOf, type Checkpoint } from './checkpoint.js';
import { withChecksum } from './container.js';
import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, writeSafetensorsFile, type SafeFile, type SafeTensor } from './safetensors.js';
import { encodeIndices, gatherKept, sparseBytes } from './sparse-layout.js';
import { readStoredTaskModel, TASK_MODEL_FORMAT, TASK_MODEL_FORMAT_VERSION, type StoredParam, type StoredTaskModel } from './task-model-reader.js';

export { TASK_MODEL_FORMAT, TASK_MODEL_FORMAT_VERSION, type StoredParam };

/** An exported task model (src/io/task-model-reader.ts) of one of fsmtl's extractors. */
export type TaskModel = StoredTaskModel<ExtractorArch>;

export type ExportLayout = 'auto' | 'sparse' | 'dense';

export interface ExportOptions {
  /**
   * 'auto' (default): per tensor, indices + values where that is smaller than dense F32, else dense
   * with zeros. 'sparse': indices + values for every masked tensor. 'dense': every tensor dense.
   */
  layout?: ExportLayout;
}

/** One task's model out of a checkpoint (or a freshly trained model). */
export function exportTask(source: Checkpoint | TrainedModel, task: string | number, opts: ExportOptions = {}): TaskModel {
  const c = 'model' in source ? checkpointFromTrained(source) : source;
  const t = taskIndex(c, task);
  if (c.adapters) {
    throw new FsmtlError(
      `cannot export task '${c.tasks[t]}' of a ${modelName(c)} model: its tasks own ${c.config.architecture && c.config.architecture !== 'hps' ? 'modules' : 'adapter blocks'} inside the shared network, ` +
        'which the task-model format does not hold; predict with the checkpoint itself (fsmtl predict CHECKPOINT ...)',
    );
  }
  const layout = opts.layout ?? 'auto';
  const masked = c.masks !== null && c.config.fs.placement === 'forward';
  const tower = towerOf(c, t);
  const params: StoredParam[] = c.specs.map((s, i) => {
    if (!masked) return { layout: 'dense', values: Float32Array.from(tower[i]) };
    const kept = gatherKept(tower[i], c.masks![t][i]);
    const sparse = layout === 'sparse' || (layout === 'auto' && sparseBytes(kept.indices) < 4 * s.size);
    if (sparse) return { layout: 'sparse', indices: kept.indices, values: kept.values };
    const values = new Float32Array(s.size);
    for (let j = 0; j < kept.indices.length; j++) values[kept.indices[j]] = kept.values[j];
    return { layout: 'dense', values };
  });
  return {
    formatVersion: TASK_MODEL_FORMAT_VERSION,
    fsmtlVersion: FSMTL_VERSION,
    task: c.tasks[t],
    method: c.config.method,
    arch: c.config.arch,
    hidden: c.config.hidden,
    inputShape: c.inputShape,
    spec: c.taskSpecs[t],
    keep: c.masks ? c.config.keep : 1,
    placement: c.config.fs.placement,
    kind: masked ? 'sparse' : 'dense',
    keptShared: params.reduce((a, p, i) => a + (masked ? countOnes(c.masks![t][i]) : c.specs[i].size), 0),
    specs: c.specs,
    params,
    head: { kernel: Float32Array.from(c.heads[t].kernel), bias: Float32Array.from(c.heads[t].bias) },
  };
}

/** The method, with its architecture when that is not hard sharing: "mtl", "fs (mmoe)". */
function modelName(c: Checkpoint): string {
  return c.config.architecture && c.config.architecture !== 'hps' ? `${c.config.method} (${c.config.architecture})` : c.config.method;
}

function countOnes(m: Uint8Array): number {
  let k = 0;
  for (let j = 0; j < m.length; j++) k += m[j];
  return k;
}

export function taskModelTensors(m: TaskModel): { tensors: [string, SafeTensor][]; metadata: Record<string, string> } {
  const tensors: [string, SafeTensor][] = [];
  m.specs.forEach((s, i) => {
    const p = m.params[i];
    if (p.layout === 'dense') {
      tensors.push([`extractor/${s.name}`, { dtype: 'F32', shape: s.shape, data: p.values }]);
    } else {
      const d = encodeIndices(p.indices);
      tensors.push([`extractor/${s.name}/indices`, { dtype: d instanceof Uint16Array ? 'U16' : 'U32', shape: [d.length], data: d }]);
      tensors.push([`extractor/${s.name}/values`, { dtype: 'F32', shape: [p.values.length], data: p.values }]);
    }
  });
  const outputs = headOutputs(m.spec);
  tensors.push(['head/kernel', { dtype: 'F32', shape: [m.head.kernel.length / outputs, outputs], data: m.head.kernel }]);
  tensors.push(['head/bias', { dtype: 'F32', shape: [outputs], data: m.head.bias }]);
  const shared = m.specs.reduce((a, s) => a + s.size, 0);
  const metadata: Record<string, string> = {
    format: TASK_MODEL_FORMAT,
    format_version: String(TASK_MODEL_FORMAT_VERSION),
    fsmtl_version: m.fsmtlVersion,
    task: m.task,
    method: m.method,
    arch: m.arch,
    hidden: JSON.stringify(m.hidden),
    input_shape: JSON.stringify(m.inputShape),
    task_spec: JSON.stringify(m.spec),
    keep: String(m.keep),
    placement: m.placement,
    kind: m.kind,
    kept_params: String(m.keptShared),
    shared_params: String(shared),
    index_encoding: 'delta',
    param_shapes: JSON.stringify(Object.fromEntries(m.specs.map((s) => [s.name, s.shape]))),
  };
  return { tensors, metadata: withChecksum(tensors, metadata) };
}

export function encodeTaskModel(m: TaskModel): Uint8Array {
  const { tensors, metadata } = taskModelTensors(m);
  return encodeSafetensors(tensors, metadata);
}

/** Validates a decoded safetensors file as an exported task model; `name` starts every error. */
export function taskModelFromSafetensors(file: SafeFile, name: string): TaskModel {
  return readStoredTaskModel(file, name, {
    archs: EXTRACTOR_NAMES,
    shapes(arch, inputShape, hidden) {
      const e = makeExtractor(arch, inputShape, hidden);
      return { specs: paramSpecs(e.layers), featureDim: e.featureDim };
    },
    specSchema: taskSpecSchema,
    outputs: headOutputs,
  });
}

export function decodeTaskModel(bytes: Uint8Array, name: string): TaskModel {
  return taskModelFromSafetensors(decodeSafetensors(bytes, name), name);
}

// ---- Size

export interface TaskModelSize {
  task: string;
  kind: 'sparse' | 'dense';
  /** File size of this model. */
  bytes: number;
  /** File size of the dense single-task model (dense F32 extractor + head, same container). */
  denseBytes: number;
  /** Parameters this model stores: kept extractor parameters + head. */
  params: number;
  /** Parameters of the dense single-task model: whole extractor + head. */
  denseParams: number;
  keptShared: number;
  sharedParams: number;
  headParams: number;
}

export function taskModelSize(m: TaskModel): TaskModelSize {
  const bytes = encodeTaskModel(m).length;
  const sharedParams = m.specs.reduce((a, s) => a + s.size, 0);
  const dense: TaskModel = {
    ...m,
    kind: 'dense',
    keptShared: sharedParams,
    params: m.specs.map((s) => ({ layout: 'dense', values: new Float32Array(s.size) })),
  };
  const headParams = m.head.kernel.length + m.head.bias.length;
  const keptShared = m.keptShared;
  return {
    task: m.task,
    kind: m.kind,
    bytes,
    denseBytes: encodeTaskModel(dense).length,
    params: keptShared + headParams,
    denseParams: sharedParams + headParams,
    keptShared,
    sharedParams,
    headParams,
  };
}

// ---- Files

/** Writes a task model atomically; returns its size in bytes. */
export function saveTaskModel(path: string, m: TaskModel): number {
  const { tensors, metadata } = taskModelTensors(m);
  return writeSafetensorsFile(path, tensors, metadata);
}

export function loadTaskModel(path: string): TaskModel {
  return taskModelFromSafetensors(readSafetensorsFile(path, 'task model'), path);
}
