// The prediction side of each task kind, without TensorFlow.js: its spec schema, its head's width and
// how head outputs become predictions. The kinds (multiclass.ts, binary.ts, regression.ts) take these
// from here, and so does the TensorFlow.js-free predictor (src/predictor), which runs in browsers.
import { z } from 'zod';
import { FsmtlError } from '../util/errors.js';
import type { BinarySpec, DecodedPredictions, MulticlassSpec, RegressionSpec, TaskSpec } from './types.js';

/** Index of the largest of out[i·C … i·C + C − 1] (first on ties, as tf.argMax). */
export function argmaxRow(out: Float32Array, i: number, C: number): number {
  let best = 0;
  for (let c = 1; c < C; c++) if (out[i * C + c] > out[i * C + best]) best = c;
  return best;
}

export const multiclassSpecSchema: z.ZodType<MulticlassSpec> = z
  .object({
    kind: z.literal('multiclass'),
    classes: z.number().int().min(2, 'a multiclass task needs at least 2 classes'),
    classNames: z.array(z.string()).optional(),
  })
  .strict()
  .refine((s) => !s.classNames || s.classNames.length === s.classes, { message: 'classNames must name every class', path: ['classNames'] });

export const binarySpecSchema: z.ZodType<BinarySpec> = z
  .object({ kind: z.literal('binary'), classNames: z.tuple([z.string(), z.string()]).optional() })
  .strict();

export const regressionSpecSchema = z
  .object({
    kind: z.literal('regression'),
    targets: z.number().int().positive().default(1),
    targetNames: z.array(z.string()).optional(),
    mean: z.array(z.number()).optional(),
    std: z.array(z.number().positive()).optional(),
  })
  .strict()
  .refine((s) => [s.targetNames, s.mean, s.std].every((a) => !a || a.length === s.targets), {
    message: 'targetNames, mean and std need one entry per target',
  }) as unknown as z.ZodType<RegressionSpec>;

/** A regression spec's standardisation (identity when prepare() has not filled it). */
export function standardisation(s: RegressionSpec): { mean: number[]; std: number[] } {
  const D = s.targets;
  return { mean: s.mean ?? new Array<number>(D).fill(0), std: s.std ?? new Array<number>(D).fill(1) };
}

export function decodeMulticlass(out: Float32Array, n: number, s: MulticlassSpec): DecodedPredictions {
  const cls = new Float64Array(n);
  for (let i = 0; i < n; i++) cls[i] = argmaxRow(out, i, s.classes);
  return { columns: ['class'], values: [cls] };
}

export function decodeBinary(out: Float32Array, n: number): DecodedPredictions {
  const cls = new Float64Array(n);
  const prob = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cls[i] = out[i] > 0 ? 1 : 0;
    prob[i] = 1 / (1 + Math.exp(-out[i]));
  }
  return { columns: ['class', 'probability'], values: [cls, prob] };
}

export function decodeRegression(out: Float32Array, n: number, s: RegressionSpec): DecodedPredictions {
  const D = s.targets;
  const { mean, std } = standardisation(s);
  const values = Array.from({ length: D }, (_, d) => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = out[i * D + d] * std[d] + mean[d];
    return v;
  });
  return { columns: s.targetNames ?? (D === 1 ? ['value'] : values.map((_, d) => `value${d + 1}`)), values };
}

/** The prediction side of every kind, by name (the TensorFlow.js-free predictor's registry of kinds). */
export const SPEC_KINDS = {
  multiclass: { schema: multiclassSpecSchema, outputs: (s: MulticlassSpec) => s.classes, decode: decodeMulticlass },
  binary: { schema: binarySpecSchema, outputs: () => 1, decode: (out: Float32Array, n: number) => decodeBinary(out, n) },
  regression: { schema: regressionSpecSchema, outputs: (s: RegressionSpec) => s.targets, decode: decodeRegression },
} as const;

type SpecKind = { schema: z.ZodType<TaskSpec>; outputs(s: TaskSpec): number; decode(out: Float32Array, n: number, s: TaskSpec): DecodedPredictions };

/** The prediction side of a spec's kind, or an error naming the kinds this predictor knows. */
export function specKind(spec: TaskSpec): SpecKind {
  const k = Object.hasOwn(SPEC_KINDS, spec.kind) ? SPEC_KINDS[spec.kind as keyof typeof SPEC_KINDS] : undefined;
  if (!k) throw new FsmtlError(`unknown task kind '${String(spec.kind)}' (known: ${Object.keys(SPEC_KINDS).join(', ')})`);
  return k as unknown as SpecKind;
}

/** Any task spec, validated by its kind's schema. */
export const taskSpecSchema: z.ZodType<TaskSpec> = z.discriminatedUnion('kind', [
  multiclassSpecSchema as never,
  binarySpecSchema as never,
  regressionSpecSchema as never,
]) as unknown as z.ZodType<TaskSpec>;
