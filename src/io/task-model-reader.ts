// Reading an exported task model (format in docs/checkpoint-format.md) from a decoded safetensors file,
// without TensorFlow.js: src/io/export.ts reads it with the tfjs extractors' parameter shapes, the
// TensorFlow.js-free predictor (src/predictor) with its forward plans' (src/predictor/plan.ts).
import { FsmtlError } from '../util/errors.js';
import type { ParamSpec } from '../model/layers.js';
import type { TaskSpec } from '../tasks/types.js';
import type { z } from 'zod';
import { checkFormat, MetaReader, readTaskSpecs, TensorReader, verifyChecksum } from './container.js';
import type { SafeFile } from './safetensors-codec.js';
import { decodeIndices } from './sparse-layout.js';

export const TASK_MODEL_FORMAT = 'fsmtl-task-model';
export const TASK_MODEL_FORMAT_VERSION = 2;

/** One extractor tensor as stored: dense (zeros where the mask drops an entry), or its kept entries. */
export type StoredParam = { layout: 'dense'; values: Float32Array } | { layout: 'sparse'; indices: Uint32Array; values: Float32Array };

export interface StoredTaskModel<A extends string = string> {
  formatVersion: number;
  fsmtlVersion: string;
  task: string;
  method: string;
  arch: A;
  hidden: number[];
  inputShape: [number, number, number];
  /** What the task predicts (kind and parameters). */
  spec: TaskSpec;
  /** Configured keep ratio p (1 for dense methods). */
  keep: number;
  placement: 'forward' | 'update';
  /** 'sparse' when the task computes with S_t ⊙ θsh, 'dense' when with the whole extractor. */
  kind: 'sparse' | 'dense';
  /** Extractor parameters the task computes with (its mask's size; all of them when dense). */
  keptShared: number;
  specs: ParamSpec[];
  params: StoredParam[];
  head: { kernel: Float32Array; bias: Float32Array };
  source?: string;
}

/** What a reader supports: the main library every extractor and kind, the TF-free predictor its own. */
export interface TaskModelSupport<A extends string> {
  archs: readonly A[];
  /** The parameter tensors and feature width of an architecture; throws (any error) if it cannot be built. */
  shapes(arch: A, inputShape: [number, number, number], hidden: number[]): { specs: ParamSpec[]; featureDim: number };
  /** The task specs it reads, and its head's width. */
  specSchema: z.ZodType<TaskSpec>;
  outputs(spec: TaskSpec): number;
}

/** Validates a decoded safetensors file as an exported task model; `name` starts every error. */
export function readStoredTaskModel<A extends string>(file: SafeFile, name: string, support: TaskModelSupport<A>): StoredTaskModel<A> {
  const formatVersion = checkFormat(file, name, TASK_MODEL_FORMAT, TASK_MODEL_FORMAT_VERSION);
  const meta = new MetaReader(file, name);
  const arch = meta.oneOf('arch', support.archs);
  const hidden = meta.positiveInts('hidden');
  const inputShape = meta.positiveInts('input_shape', 3) as [number, number, number];
  const spec = readTaskSpecs(meta, formatVersion, 1, name, true, support.specSchema)[0];
  const outputs = support.outputs(spec);
  const placement = meta.oneOf('placement', ['forward', 'update'] as const);
  const kind = meta.oneOf('kind', ['sparse', 'dense'] as const);
  let specs: ParamSpec[];
  let featureDim: number;
  try {
    ({ specs, featureDim } = support.shapes(arch, inputShape, hidden));
  } catch (e) {
    throw new FsmtlError(`${name}: ${(e as Error).message}`);
  }
  const r = new TensorReader(file, name, `its architecture (${arch}, hidden ${hidden.join('-')}, input ${inputShape.join('×')})`);
  const params: StoredParam[] = specs.map((s) => {
    const key = `extractor/${s.name}`;
    if (r.has(key) || kind === 'dense') return { layout: 'dense', values: r.take(key, ['F32'], s.shape).data as Float32Array };
    const idx = r.take(`${key}/indices`, ['U16', 'U32']);
    const values = r.take(`${key}/values`, ['F32']);
    if (idx.shape.length !== 1 || values.shape.length !== 1 || idx.shape[0] !== values.shape[0]) {
      throw new FsmtlError(`${name}: '${key}/indices' ${JSON.stringify(idx.shape)} and '${key}/values' ${JSON.stringify(values.shape)} must be 1-D of equal length`);
    }
    const indices = decodeIndices(idx.data as Uint16Array | Uint32Array, s.size, `${name}: '${key}/indices'`);
    return { layout: 'sparse', indices, values: values.data as Float32Array };
  });
  const head = {
    kernel: r.take('head/kernel', ['F32'], [featureDim, outputs]).data as Float32Array,
    bias: r.take('head/bias', ['F32'], [outputs]).data as Float32Array,
  };
  r.checkNoneLeft();
  const shared = specs.reduce((a, s) => a + s.size, 0);
  const inSparse = params.reduce((a, p) => a + (p.layout === 'sparse' ? p.indices.length : 0), 0);
  const keptShared = Number(meta.string('kept_params'));
  if (!Number.isSafeInteger(keptShared) || keptShared < inSparse || keptShared > shared || (kind === 'dense' && keptShared !== shared)) {
    meta.fail('kept_params', `is ${JSON.stringify(meta.string('kept_params'))}, inconsistent with the tensors (${inSparse} to ${shared} for a ${kind} model)`);
  }
  verifyChecksum(file, name);
  return {
    formatVersion,
    fsmtlVersion: meta.string('fsmtl_version'),
    task: meta.string('task'),
    method: meta.string('method'),
    arch,
    hidden,
    inputShape,
    spec,
    keep: meta.number('keep'),
    placement,
    kind,
    keptShared,
    specs,
    params,
    head,
    source: name,
  };
}
