// The data manifest's format (docs/data-manifest.md): a JSON file naming the user's data files, the
// tasks and the split. Validation only; reading the files is src/data/manifest.ts. Every error names
// the manifest file and the field path, e.g. "houses.json: tasks[1] ('price').targt: unknown field
// (did you mean 'target'?)".
import { z } from 'zod';
import { FsmtlError, oneLine } from '../util/errors.js';
import { readText } from './cache.js';

const path = z.string().min(1, 'a file path cannot be empty');
const positiveInt = z.number().int().positive();
const notFraction = { error: (i: { input?: unknown }) => `must be a fraction in (0, 1), got ${String(i.input)}` };
const fraction = z.number().gt(0, notFraction).lt(1, notFraction);

export const INPUT_FORMATS = ['csv', 'npy', 'npz', 'idx', 'images'] as const;
export const LABEL_FORMATS = ['csv', 'npy', 'npz', 'idx'] as const;
export const PART_NAMES = ['train', 'val', 'test'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** Options each format takes (besides its own key, which names the file or folder). */
const INPUT_OPTIONS: Record<(typeof INPUT_FORMATS)[number], string[]> = {
  csv: ['columns', 'exclude', 'delimiter'],
  npy: [],
  npz: ['key'],
  idx: [],
  images: ['index', 'fileColumn', 'size', 'channels', 'delimiter'],
};
const LABEL_OPTIONS: Record<(typeof LABEL_FORMATS)[number], string[]> = { csv: ['delimiter'], npy: [], npz: ['key'], idx: [] };

const inputFileShape = {
  csv: path.optional(),
  npy: path.optional(),
  npz: path.optional(),
  idx: path.optional(),
  images: path.optional(),
  columns: z.array(z.string().min(1)).min(1, 'list at least one column').optional(),
  exclude: z.array(z.string().min(1)).optional(),
  delimiter: z.string().length(1, 'a delimiter is one character').optional(),
  key: z.string().min(1).optional(),
  index: path.optional(),
  fileColumn: z.string().min(1).optional(),
  size: z.tuple([positiveInt, positiveInt]).optional(),
  channels: z.union([z.literal(1), z.literal(3)], { error: 'channels must be 1 (grey) or 3 (RGB)' }).optional(),
};

const labelFileShape = {
  csv: path.optional(),
  npy: path.optional(),
  npz: path.optional(),
  idx: path.optional(),
  key: z.string().min(1).optional(),
  delimiter: z.string().length(1, 'a delimiter is one character').optional(),
};

type Ctx = z.RefinementCtx;

/** Exactly one format key, and only the options that format takes. */
function checkFile(formats: readonly string[], options: Record<string, string[]>, what: string) {
  return (v: Record<string, unknown>, ctx: Ctx): void => {
    const given = formats.filter((f) => v[f] !== undefined);
    if (given.length !== 1) {
      const found = given.length ? `, not ${given.join(' and ')}` : '';
      ctx.addIssue({ code: 'custom', path: [], message: `${what} need exactly one of ${formats.join(', ')} (or train/val/test files)${found}` });
      return;
    }
    const format = given[0];
    for (const k of Object.keys(v)) {
      if (v[k] === undefined || formats.includes(k) || options[format].includes(k)) continue;
      const owners = Object.keys(options).filter((f) => options[f].includes(k));
      ctx.addIssue({ code: 'custom', path: [k], message: `'${k}' belongs to ${owners.join('/')} ${what}, not ${format}` });
    }
    if (format === 'images' && v.index === undefined) {
      ctx.addIssue({ code: 'custom', path: ['index'], message: 'an image folder needs an index CSV listing its files (and their labels)' });
    }
    if (v.columns !== undefined && v.exclude !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['exclude'], message: "give either 'columns' (the inputs) or 'exclude' (all other columns are inputs), not both" });
    }
  };
}

/** A file, or one file per part ({ "train": …, "test": …, "val": … }). */
function splittable<S extends z.ZodRawShape>(shape: S, check: (v: Record<string, unknown>, ctx: Ctx) => void) {
  const one = z.object(shape).strict().superRefine(check);
  return z
    .object({ ...shape, train: one.optional(), val: one.optional(), test: one.optional() })
    .strict()
    .superRefine((v, ctx) => {
      const rec = v as Record<string, unknown>;
      const parts = PART_NAMES.filter((p) => rec[p] !== undefined);
      if (parts.length === 0) return check(rec, ctx);
      const fileKeys = Object.keys(shape).filter((k) => rec[k] !== undefined);
      if (fileKeys.length) ctx.addIssue({ code: 'custom', path: [fileKeys[0]], message: 'give either one file or train/val/test files, not both' });
      if (rec.train === undefined) ctx.addIssue({ code: 'custom', path: ['train'], message: 'files split into parts need a train file' });
    });
}

export const inputsSchema = splittable(inputFileShape, checkFile(INPUT_FORMATS, INPUT_OPTIONS, 'inputs'));
export const labelsSchema = splittable(labelFileShape, checkFile(LABEL_FORMATS, LABEL_OPTIONS, 'labels'));

export const manifestTaskSchema = z
  .object({
    name: z.string().min(1, 'a task needs a name'),
    kind: z.enum(['multiclass', 'binary', 'regression', 'segmentation', 'depth']),
    /** A column of the inputs' CSV (or of the image index, or of `labels` when that is a CSV). */
    target: z.string().min(1).optional(),
    /** Several columns: a regression task with several real targets. */
    targets: z.array(z.string().min(1)).min(1).optional(),
    labels: labelsSchema.optional(),
    /** The task's own inputs (heterogeneous tasks); otherwise the manifest's top-level inputs. */
    inputs: inputsSchema.optional(),
    classes: z.number().int().min(2, 'a task with classes needs at least 2').optional(),
    classNames: z.array(z.string()).optional(),
    /** Binary: the value that means 1 in a two-valued column. */
    positive: z.union([z.string(), z.number()]).optional(),
    targetNames: z.array(z.string()).optional(),
    /** A value that marks a missing label (besides empty cells and NaN), e.g. -1; per pixel for segmentation and depth. */
    missing: z.union([z.number(), z.string()]).optional(),
    /** Depth: the labels' unit, shown in reports (e.g. "m"). */
    unit: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const only = (field: keyof typeof t, kinds: string[]) => {
      if (t[field] !== undefined && !kinds.includes(t.kind)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `'${field}' applies to ${kinds.join(' and ')} tasks, not ${t.kind}` });
      }
    };
    only('classes', ['multiclass', 'segmentation']);
    only('positive', ['binary']);
    only('targets', ['regression']);
    only('targetNames', ['regression']);
    only('classNames', ['multiclass', 'binary', 'segmentation']);
    only('unit', ['depth']);
    if (t.target !== undefined && t.targets !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: "give 'target' (one column) or 'targets' (several), not both" });
    }
    const named = t.target !== undefined || t.targets !== undefined;
    const labelsFile = t.labels && (t.labels.train ?? t.labels);
    if (labelsFile && labelsFile.csv === undefined && named) {
      ctx.addIssue({ code: 'custom', path: [t.target !== undefined ? 'target' : 'targets'], message: 'array label files have no columns: leave out target/targets' });
    }
    const perPixel = t.kind === 'segmentation' || t.kind === 'depth';
    if (perPixel && (named || !labelsFile || labelsFile.csv !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: `a ${t.kind} task's labels are an array file of shape [N, H, W] (npy, npz or IDX), one map per example` });
    } else if (!named && (!labelsFile || labelsFile.csv !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: "a task needs a 'target' column (of the inputs' CSV or of a labels CSV) or an array 'labels' file" });
    }
    if (t.kind === 'binary' && t.classNames && t.classNames.length !== 2) {
      ctx.addIssue({ code: 'custom', path: ['classNames'], message: 'a binary task has two class names: [negative, positive]' });
    }
    if ((t.kind === 'multiclass' || t.kind === 'segmentation') && t.classNames && t.classes !== undefined && t.classNames.length !== t.classes) {
      ctx.addIssue({ code: 'custom', path: ['classNames'], message: `classNames has ${t.classNames.length} names for ${t.classes} classes` });
    }
    if (t.targetNames && t.targets && t.targetNames.length !== t.targets.length) {
      ctx.addIssue({ code: 'custom', path: ['targetNames'], message: `targetNames has ${t.targetNames.length} names for ${t.targets.length} targets` });
    }
  });

export const splitSchema = z
  .object({
    /** Fraction of the examples held out for testing (default 0.2 where the inputs have no test file). */
    test: fraction.optional(),
    /** Fraction held out for validation (default: none here; the trainer carves its own from train). */
    val: fraction.optional(),
    /** Seed of the permutation that picks the held-out examples. */
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export const manifestSchema = z
  .object({
    /** The benchmark's name (default: the manifest file's name without extension). */
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    /** Inputs shared by every task that does not give its own. */
    inputs: inputsSchema.optional(),
    tasks: z.array(manifestTaskSchema).min(1, 'list at least one task'),
    split: splitSchema.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    m.tasks.forEach((t, i) => {
      const j = seen.get(t.name);
      if (j !== undefined) ctx.addIssue({ code: 'custom', path: ['tasks', i, 'name'], message: `duplicate task name '${t.name}' (also tasks[${j}])` });
      seen.set(t.name, i);
      if (!t.inputs && !m.inputs) {
        ctx.addIssue({ code: 'custom', path: ['tasks', i], message: "no inputs: give 'inputs' at the top level (shared by all tasks) or in the task" });
      }
    });
    const s = m.split;
    if (s?.test !== undefined && s.val !== undefined && s.test + s.val >= 1) {
      ctx.addIssue({ code: 'custom', path: ['split'], message: `test ${s.test} + val ${s.val} leaves no training examples` });
    }
  });

export type DataManifest = z.output<typeof manifestSchema>;
export type ManifestTask = DataManifest['tasks'][number];
export type ManifestInputs = z.output<typeof inputsSchema>;
export type ManifestLabels = z.output<typeof labelsSchema>;

// Every field name of the format, for "did you mean" on a misspelt one.
const FIELDS = [
  ...new Set([
    ...Object.keys(manifestSchema.shape),
    ...Object.keys(manifestTaskSchema.shape),
    ...Object.keys(inputFileShape),
    ...Object.keys(splitSchema.shape),
    ...PART_NAMES,
  ]),
];

/** Edit distance with transpositions (optimal string alignment), ignoring case. */
function editDistance(a: string, b: string): number {
  const A = a.toLowerCase();
  const B = b.toLowerCase();
  const d = Array.from({ length: A.length + 1 }, (_, i) => Array.from({ length: B.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= A.length; i++) {
    for (let j = 1; j <= B.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (A[i - 1] === B[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && A[i - 1] === B[j - 2] && A[i - 2] === B[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[A.length][B.length];
}

function suggestion(key: string): string {
  const best = FIELDS.map((f) => ({ f, d: editDistance(key, f) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean '${best.f}'?)` : '';
}

/** "tasks[1] ('price').target": array indices in brackets, and a task's name where it has one. */
function fieldName(p: PropertyKey[], raw: unknown): string {
  let out = '';
  let node: unknown = raw;
  for (const k of p) {
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[k] : undefined;
    if (typeof k === 'number') {
      out += `[${k}]`;
      const name = node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
      if (typeof name === 'string' && out.startsWith('tasks') && !out.includes('.')) out += ` ('${name}')`;
    } else out += `${out ? '.' : ''}${String(k)}`;
  }
  return out || '(top level)';
}

/** Validates a parsed manifest; `file` names it in errors. */
export function parseDataManifest(raw: unknown, file: string): DataManifest {
  const r = manifestSchema.safeParse(raw);
  if (r.success) return r.data;
  // An unknown field explains the checks that fail next to it (a misspelt 'target' is also a missing one).
  const unknownAt = r.error.issues.filter((i) => i.code === 'unrecognized_keys').map((i) => i.path.join('\0'));
  const followOn = (i: z.core.$ZodIssue) => i.code === 'custom' && unknownAt.some((u) => `${i.path.join('\0')}\0`.startsWith(u && `${u}\0`));
  const issues = r.error.issues.filter((i) => !followOn(i)).flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => `${file}: ${fieldName([...i.path, k], raw)}: unknown field${suggestion(k)}`)
      : [`${file}: ${fieldName(i.path, raw)}: ${i.message}`],
  );
  throw new FsmtlError(issues.join('; '));
}

/** Reads and validates a manifest file. */
export function readDataManifest(file: string): DataManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file));
  } catch (e) {
    if (e instanceof FsmtlError) throw e;
    throw new FsmtlError(`${file}: not valid JSON (${oneLine((e as Error).message)})`);
  }
  return parseDataManifest(raw, file);
}
