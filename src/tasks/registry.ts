// Task kinds by name. Adding a kind means adding its file and one line here; configs, manifests,
// model files and reports take the spec schema, metrics and directions from the entry.
import { z } from 'zod';
import { FsmtlError } from '../util/errors.js';
import { binary } from './binary.js';
import { depth } from './depth.js';
import { multiclass } from './multiclass.js';
import { regression } from './regression.js';
import { segmentation } from './segmentation.js';
import type { MetricDef, TaskKind, TaskSpec } from './types.js';

const KINDS = { multiclass, binary, regression, segmentation, depth } as const;

export const TASK_KIND_NAMES = Object.keys(KINDS) as (keyof typeof KINDS)[];

/** The implementation of a spec's kind. */
export function taskKind<S extends TaskSpec>(spec: S): TaskKind<S> {
  const k = Object.hasOwn(KINDS, spec.kind) ? KINDS[spec.kind as keyof typeof KINDS] : undefined;
  if (!k) throw new FsmtlError(`unknown task kind '${String(spec.kind)}' (known: ${TASK_KIND_NAMES.join(', ')})`);
  return k as unknown as TaskKind<S>;
}

/** Any task spec, validated by its kind's schema. */
export const taskSpecSchema: z.ZodType<TaskSpec> = z.discriminatedUnion('kind', [
  multiclass.specSchema as never,
  binary.specSchema as never,
  regression.specSchema as never,
  segmentation.specSchema as never,
  depth.specSchema as never,
]) as unknown as z.ZodType<TaskSpec>;

/** A task's metric definitions (directions for ranks and Δm). */
export function metricDefs(spec: TaskSpec): MetricDef[] {
  return taskKind(spec).metrics;
}

/** A metric's definition by name, from whichever kind reports it. */
export function metricDef(name: string): MetricDef | undefined {
  for (const k of Object.values(KINDS)) {
    const d = k.metrics.find((m) => m.name === name);
    if (d) return d;
  }
  return undefined;
}

/** A metric's column title ("F1", "MAE"); the name itself for a metric no kind defines. */
export function metricTitle(name: string): string {
  return metricDef(name)?.title ?? name;
}

/** One line per kind, for help texts. */
export function describeTaskKinds(): { name: string; summary: string }[] {
  return TASK_KIND_NAMES.map((name) => ({ name, summary: KINDS[name].summary }));
}

export type { TaskSpec, TaskKind, MetricDef, FisherLabel, MulticlassSpec, BinarySpec, RegressionSpec, SegmentationSpec, DepthSpec, PixelGrid, PixelMaps, TaskKindName } from './types.js';
