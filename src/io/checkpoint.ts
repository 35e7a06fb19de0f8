// Checkpoints of a whole trained multi-task model: weights, masks, config, seed and version in one
// safetensors file (format in docs/checkpoint-format.md).
//   tower<k>/<param>        F32  extractor parameters; one tower, or one per task for STL
//   head/<task>/kernel|bias F32  each task's head
//   mask/<task>/<param>     U8   each task's mask S_t (0/1), for fs, efs, rs, tr and mr
//   adapter/<task>/<param>  F32  each task's adapter parameters (se's squeeze-and-excitation blocks)
//   __metadata__            format, format_version, fsmtl_version, config (JSON), tasks, task_specs (JSON:
//                           each task's kind and parameters), input_shape, benchmark, seed, metrics (JSON,
//                           the test metrics at save time). Version 1 files (num_classes instead of
//                           task_specs: every task multiclass) are still read.
import * as tf from '@tensorflow/tfjs-core';
import { makeExtractor, type Extractor } from '../model/extractor.js';
import { paramSpecs, type ParamSpec } from '../model/layers.js';
import { MultiTaskModel } from '../model/multitask-model.js';
import type { TaskMask } from '../sparse/masks.js';
import { methodTraits } from '../methods/registry.js';
import { taskAdapterOf } from '../methods/task-modules.js';
import { networkOf, type TaskAdapter } from '../model/adapters.js';
import { parseTrainConfig, type TrainConfig } from '../train/config.js';
import { FSMTL_VERSION, type TrainedModel } from '../train/trainer.js';
import { taskKind, taskSpecSchema } from '../tasks/registry.js';
import type { TaskSpec } from '../tasks/types.js';
import { FsmtlError } from '../util/errors.js';
import { checkFormat, MetaReader, readTaskSpecs, TensorReader, verifyChecksum, withChecksum } from './container.js';
import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, writeSafetensorsFile, type SafeFile, type SafeTensor } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'fsmtl-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 2;

export interface HeadWeights {
  /** [featureDim, outputs], row-major (outputs: the task kind's head width). */
  kernel: Float32Array;
  bias: Float32Array;
}

/** A trained multi-task model as plain arrays (no tensors): what a checkpoint file holds. */
export interface Checkpoint {
  formatVersion: number;
  fsmtlVersion: string;
  config: TrainConfig;
  tasks: string[];
  /** What each task predicts (kind and parameters); the head widths follow from these. */
  taskSpecs: TaskSpec[];
  inputShape: [number, number, number];
  /** Shared parameter tensors of one tower, in order (from the config's architecture). */
  specs: ParamSpec[];
  /** towers[k][i]: parameter i of tower k, row-major. One tower, or one per task (STL). */
  towers: Float32Array[][];
  heads: HeadWeights[];
  /** masks[t][i]: task t's 0/1 mask over parameter i (null for dense methods). */
  masks: TaskMask[] | null;
  /** adapters[t][i]: parameter i of task t's adapter (null for methods without adapters; see adapterOf). */
  adapters: Float32Array[][] | null;
  /** Per-task test metrics at save time, when known. */
  metrics?: unknown;
  /** Where it was read from, for messages. */
  source?: string;
}

/** The shared network: the configured extractor, or the architecture built over it for the checkpoint's tasks. */
export function extractorOf(c: Pick<Checkpoint, 'config' | 'inputShape' | 'tasks'>): Extractor {
  return networkOf(makeExtractor(c.config.arch, c.inputShape, c.config.hidden), adapterOf(c), c.tasks.length);
}

/** The task modules of the checkpoint's architecture or method (MMoE's gates, SE's blocks...), or null. */
export function adapterOf(c: Pick<Checkpoint, 'config'>): TaskAdapter | null {
  return taskAdapterOf(c.config);
}

/** Width of a task's head. */
export function headOutputs(spec: TaskSpec): number {
  return taskKind(spec).outputs(spec);
}

export { readTaskSpecs };

/** Index of task `task` (a name or an index), or an error listing the tasks. */
export function taskIndex(c: Pick<Checkpoint, 'tasks' | 'source'>, task: string | number): number {
  const t = typeof task === 'number' ? task : c.tasks.indexOf(task);
  if (t < 0 || t >= c.tasks.length || !Number.isInteger(t)) {
    throw new FsmtlError(`unknown task '${task}'${c.source ? ` in ${c.source}` : ''} (tasks: ${c.tasks.join(', ')})`);
  }
  return t;
}

/** The tower task t computes with. */
export function towerOf(c: Checkpoint, t: number): Float32Array[] {
  return c.towers.length > 1 ? c.towers[t] : c.towers[0];
}

/** Reads a trained model's weights and masks out of its tensors. */
export function checkpointFromTrained(trained: TrainedModel): Checkpoint {
  const { model, masks, result } = trained;
  const config = result.config;
  if (methodTraits(config.method).masked !== (masks !== null)) {
    throw new FsmtlError(`cannot checkpoint a ${config.method} model ${masks ? 'with' : 'without'} masks`);
  }
  const read = (v: tf.Tensor) => Float32Array.from(v.dataSync() as Float32Array);
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    fsmtlVersion: FSMTL_VERSION,
    config,
    tasks: result.benchmark.tasks,
    taskSpecs: trained.tasks,
    inputShape: [...model.extractor.inputShape],
    specs: model.specs,
    towers: model.towers.map((tower) => tower.map(read)),
    heads: model.heads.map((h) => ({ kernel: read(h.kernel), bias: read(h.bias) })),
    masks: masks ? masks.map((m) => m.map((p) => Uint8Array.from(p))) : null,
    adapters: model.adapter ? model.adapters.map((a) => a.map(read)) : null,
    metrics: result.perTask,
  };
}

/** The checkpoint as safetensors tensors and metadata. */
export function checkpointTensors(c: Checkpoint): { tensors: [string, SafeTensor][]; metadata: Record<string, string> } {
  const tensors: [string, SafeTensor][] = [];
  const featureDim = extractorOf(c).featureDim;
  c.towers.forEach((tower, k) =>
    tower.forEach((data, i) => tensors.push([`tower${k}/${c.specs[i].name}`, { dtype: 'F32', shape: c.specs[i].shape, data }])),
  );
  c.heads.forEach((h, t) => {
    const outputs = headOutputs(c.taskSpecs[t]);
    tensors.push([`head/${c.tasks[t]}/kernel`, { dtype: 'F32', shape: [featureDim, outputs], data: h.kernel }]);
    tensors.push([`head/${c.tasks[t]}/bias`, { dtype: 'F32', shape: [outputs], data: h.bias }]);
  });
  c.masks?.forEach((m, t) =>
    m.forEach((data, i) => tensors.push([`mask/${c.tasks[t]}/${c.specs[i].name}`, { dtype: 'U8', shape: c.specs[i].shape, data }])),
  );
  const adapter = adapterOf(c);
  if (adapter && c.adapters) {
    const aspecs = adapter.specs(extractorOf(c));
    c.adapters.forEach((a, t) =>
      a.forEach((data, i) => tensors.push([`adapter/${c.tasks[t]}/${aspecs[i].name}`, { dtype: 'F32', shape: aspecs[i].shape, data }])),
    );
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_FORMAT_VERSION),
    fsmtl_version: c.fsmtlVersion,
    config: JSON.stringify(c.config),
    tasks: JSON.stringify(c.tasks),
    task_specs: JSON.stringify(c.taskSpecs),
    input_shape: JSON.stringify(c.inputShape),
    benchmark: c.config.benchmark,
    method: c.config.method,
    seed: String(c.config.seed),
  };
  if (c.metrics !== undefined) metadata.metrics = JSON.stringify(c.metrics);
  return { tensors, metadata: withChecksum(tensors, metadata) };
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const { tensors, metadata } = checkpointTensors(c);
  return encodeSafetensors(tensors, metadata);
}

/** Validates a decoded safetensors file as a checkpoint; `name` (the path) starts every error. */
export function checkpointFromSafetensors(file: SafeFile, name: string): Checkpoint {
  const formatVersion = checkFormat(file, name, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION);
  const meta = new MetaReader(file, name);
  const config = parseTrainConfig(meta.json('config'), `${name}: metadata config`);
  const tasks = meta.names('tasks');
  const taskSpecs = readTaskSpecs(meta, formatVersion, tasks.length, name, false, taskSpecSchema);
  const inputShape = meta.positiveInts('input_shape', 3) as [number, number, number];
  let extractor: Extractor;
  try {
    extractor = extractorOf({ config, inputShape, tasks });
  } catch (e) {
    throw new FsmtlError(`${name}: ${(e as Error).message}`);
  }
  const specs = paramSpecs(extractor.layers);
  const arch =
    config.arch === 'mlp'
      ? `mlp ${inputShape.reduce((a, b) => a * b, 1)}-${config.hidden.join('-')}`
      : `${config.arch} on ${inputShape.join('×')}`;
  const over = config.architecture && config.architecture !== 'hps' ? `${config.architecture} over ` : '';
  const r = new TensorReader(file, name, `a ${config.method} model with architecture ${over}${arch} and tasks ${tasks.join(', ')}`);
  const towerCount = methodTraits(config.method).separateTowers ? tasks.length : 1;
  const f32 = (t: SafeTensor) => t.data as Float32Array;
  const towers: Float32Array[][] = [];
  for (let k = 0; k < towerCount; k++) towers.push(specs.map((s) => f32(r.take(`tower${k}/${s.name}`, ['F32'], s.shape))));
  const heads = tasks.map((task, t) => ({
    kernel: f32(r.take(`head/${task}/kernel`, ['F32'], [extractor.featureDim, headOutputs(taskSpecs[t])])),
    bias: f32(r.take(`head/${task}/bias`, ['F32'], [headOutputs(taskSpecs[t])])),
  }));
  let masks: TaskMask[] | null = null;
  if (methodTraits(config.method).masked) {
    masks = tasks.map((task) =>
      specs.map((s) => {
        const key = `mask/${task}/${s.name}`;
        const m = r.take(key, ['U8', 'BOOL'], s.shape).data as Uint8Array;
        const bad = m.findIndex((v) => v > 1);
        if (bad >= 0) throw new FsmtlError(`${name}: mask '${key}' holds ${m[bad]} at element ${bad} (masks are 0/1)`);
        return m;
      }),
    );
  }
  const adapter = adapterOf({ config });
  const adapters = adapter
    ? tasks.map((task) => adapter.specs(extractor).map((s) => f32(r.take(`adapter/${task}/${s.name}`, ['F32'], s.shape))))
    : null;
  r.checkNoneLeft();
  const metrics = file.metadata.metrics !== undefined ? meta.json('metrics') : undefined;
  // Last, so that a file edited by hand still gets the error that names what is wrong with it.
  verifyChecksum(file, name);
  return {
    formatVersion,
    fsmtlVersion: meta.string('fsmtl_version'),
    config,
    tasks,
    taskSpecs,
    inputShape,
    specs,
    towers,
    heads,
    masks,
    adapters,
    metrics,
    source: name,
  };
}

export function decodeCheckpoint(bytes: Uint8Array, name: string): Checkpoint {
  return checkpointFromSafetensors(decodeSafetensors(bytes, name), name);
}

// ---- Files

/** Writes a trained model (or a Checkpoint) atomically; returns the file size in bytes. */
export function saveCheckpoint(path: string, trained: TrainedModel | Checkpoint): number {
  const c = 'model' in trained ? checkpointFromTrained(trained) : trained;
  const { tensors, metadata } = checkpointTensors(c);
  return writeSafetensorsFile(path, tensors, metadata);
}

/** Reads and validates a checkpoint; every problem is an FsmtlError naming the file. */
export function loadCheckpoint(path: string): Checkpoint {
  return checkpointFromSafetensors(readSafetensorsFile(path, 'checkpoint'), path);
}

/**
 * Rebuilds the trainable MultiTaskModel (tf variables) of a checkpoint, e.g. to evaluate or keep
 * training it. tfjs variable names are global: dispose() any other MultiTaskModel first.
 */
export function restoreModel(c: Checkpoint): { model: MultiTaskModel; masks: TaskMask[] | null } {
  const model = new MultiTaskModel(extractorOf(c), c.taskSpecs.map(headOutputs), c.config.seed, c.towers.length > 1, adapterOf(c));
  const set = (v: tf.Variable, data: Float32Array) => {
    const x = tf.tensor(data, v.shape);
    v.assign(x);
    x.dispose();
  };
  model.towers.forEach((tower, k) => tower.forEach((v, i) => set(v, c.towers[k][i])));
  model.heads.forEach((h, t) => {
    set(h.kernel, c.heads[t].kernel);
    set(h.bias, c.heads[t].bias);
  });
  model.adapters.forEach((a, t) => a.forEach((v, i) => set(v, c.adapters![t][i])));
  return { model, masks: c.masks };
}
