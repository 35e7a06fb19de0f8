// A manifest task's labels, from CSV cells or array values, as the label rows of its task kind
// (src/tasks): multiclass classes 0…C−1 (numbers, or names mapped in sorted order), binary 0/1 (0/1,
// true/false, yes/no, or a two-valued column with a "positive" value), regression finite numbers;
// per pixel (a column per pixel of an [N, H, W] array), segmentation classes 0…C−1 and depth numbers.
// Empty cells, NaN and the task's "missing" value become NaN. Errors name the file, the line (or
// array row), the column and the task.
import type { BinarySpec, DepthSpec, MulticlassSpec, PixelGrid, RegressionSpec, SegmentationSpec, TaskSpec } from '../tasks/types.js';
import { FsmtlError } from '../util/errors.js';
import { parseDecimal } from './csv.js';
import type { ManifestTask } from './manifest-schema.js';

/** One label column of one part of the data: CSV text or array numbers, and where each value comes from. */
export interface LabelColumn {
  /** The file, as errors name it. */
  file: string;
  /** The CSV column, when the labels come from one. */
  column?: string;
  n: number;
  value(i: number): string | number;
  /** "line 14, column 'species'" or "row 14". */
  where(i: number): string;
}

export interface TaskLabels {
  spec: TaskSpec;
  /** One label array per part (in the order given), n × labelWidth, NaN = missing. */
  y: Float32Array[];
}

const show = (v: string | number) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function fail(task: ManifestTask, col: LabelColumn, i: number, problem: string): never {
  throw new FsmtlError(`${col.file}: ${col.where(i)} (task '${task.name}'): ${problem}`);
}

function taskFail(task: ManifestTask, col: LabelColumn, problem: string): never {
  throw new FsmtlError(`${col.file}: task '${task.name}': ${problem}`);
}

/** A value's number, or NaN for text that is not a finite decimal. */
const numberOf = (v: string | number) => (typeof v === 'number' ? v : parseDecimal(v));

/** Whether two label values are the same, across text and numbers ("-1.0" and -1 are). */
function same(v: string | number, w: string | number): boolean {
  if (typeof v === 'string' && typeof w === 'string') return v.trim() === w.trim();
  const a = numberOf(v);
  return !Number.isNaN(a) && a === numberOf(w);
}

function isMissing(v: string | number, sentinel: string | number | undefined): boolean {
  if (typeof v === 'string' ? v.trim() === '' : Number.isNaN(v)) return true;
  return sentinel !== undefined && same(v, sentinel);
}

/** Every present value, part by part, with its part, column and row. */
function* present(task: ManifestTask, parts: LabelColumn[][]): Generator<{ p: number; d: number; i: number; v: string | number }> {
  for (let p = 0; p < parts.length; p++) {
    for (let d = 0; d < parts[p].length; d++) {
      const col = parts[p][d];
      for (let i = 0; i < col.n; i++) {
        const v = col.value(i);
        if (!isMissing(v, task.missing)) yield { p, d, i, v };
      }
    }
  }
}

function emptyRows(parts: LabelColumn[][], width: number): Float32Array[] {
  return parts.map((cols) => new Float32Array(cols[0].n * width).fill(NaN));
}

function multiclassLabels(task: ManifestTask, parts: LabelColumn[][]): TaskLabels {
  const y = emptyRows(parts, 1);
  const values = [...present(task, parts)];
  const first = parts[0][0];
  // Numbers are class indices; anything else is a class name (names that look like numbers are read as numbers).
  const numeric = values.every(({ v }) => !Number.isNaN(numberOf(v)));
  if (numeric) {
    let max = -1;
    for (const { p, i, v } of values) {
      const c = numberOf(v);
      if (!Number.isInteger(c) || c < 0) fail(task, parts[p][0], i, `${show(v)} is not a class number (an integer from 0)`);
      max = Math.max(max, c);
    }
    const classes = task.classes ?? task.classNames?.length ?? max + 1;
    if (classes < 2) taskFail(task, first, `the labels hold only class ${max}; a multiclass task needs at least 2 classes (set 'classes')`);
    for (const { p, i, v } of values) {
      const c = numberOf(v);
      if (c >= classes) fail(task, parts[p][0], i, `class ${c} is out of range: the task has ${classes} classes (0…${classes - 1})`);
      y[p][i] = c;
    }
    const spec: MulticlassSpec = { kind: 'multiclass', classes, ...(task.classNames ? { classNames: task.classNames } : {}) };
    return { spec, y };
  }
  const seen = [...new Set(values.map(({ v }) => String(v).trim()))].sort();
  const names = task.classNames ?? seen;
  if (!task.classNames && task.classes !== undefined && task.classes !== names.length) {
    taskFail(task, first, `'classes' is ${task.classes} but the labels name ${names.length} classes (${names.join(', ')}); list every class in 'classNames' to include classes without examples`);
  }
  if (names.length < 2) taskFail(task, first, `the labels name only one class (${names.join(', ')}); a multiclass task needs at least 2`);
  const index = new Map(names.map((s, c) => [s, c]));
  for (const { p, i, v } of values) {
    const c = index.get(String(v).trim());
    if (c === undefined) fail(task, parts[p][0], i, `${show(v)} is not one of the classNames (${names.join(', ')})`);
    y[p][i] = c;
  }
  return { spec: { kind: 'multiclass', classes: names.length, classNames: names }, y };
}

const YES = ['1', 'true', 'yes'];
const NO = ['0', 'false', 'no'];

/** A value as one string: numbers by value ("1.0" is "1"), text trimmed. */
function canon(v: string | number): string {
  const x = numberOf(v);
  return Number.isNaN(x) ? String(v).trim() : String(x);
}

/** '1' or '0' for a value that says yes or no by itself, else null. */
function yesNo(v: string | number): '1' | '0' | null {
  const s = canon(v).toLowerCase();
  return YES.includes(s) ? '1' : NO.includes(s) ? '0' : null;
}

function binaryLabels(task: ManifestTask, parts: LabelColumn[][]): TaskLabels {
  const y = emptyRows(parts, 1);
  const first = parts[0][0];
  // Distinct outcomes, where each first appears; "yes" and "1" are one outcome unless "positive" is given.
  const key = (v: string | number) => (task.positive === undefined ? (yesNo(v) ?? canon(v)) : canon(v));
  const outcomes: { k: string; v: string | number; p: number; i: number }[] = [];
  for (const { p, i, v } of present(task, parts)) {
    const k = key(v);
    if (outcomes.some((o) => o.k === k)) continue;
    if (outcomes.length === 2) {
      fail(task, parts[p][0], i, `a third value ${show(v)}: a binary task's labels take two values, this column holds ${outcomes.map((o) => show(o.v)).join(', ')} and ${show(v)}`);
    }
    outcomes.push({ k, v, p, i });
  }
  const listed = outcomes.map((o) => show(o.v)).join(', ') || 'none';
  let positive: (v: string | number) => boolean;
  let names = task.classNames as [string, string] | undefined;
  if (task.positive !== undefined) {
    const pos = canon(task.positive);
    const neg = outcomes.find((o) => o.k !== pos);
    if (!outcomes.some((o) => o.k === pos)) taskFail(task, first, `"positive": ${show(task.positive)} does not occur in the labels (values: ${listed})`);
    positive = (v) => canon(v) === pos;
    names ??= [neg === undefined ? `not ${pos}` : canon(neg.v), pos];
  } else {
    const odd = outcomes.find((o) => yesNo(o.v) === null);
    if (odd) {
      fail(task, parts[odd.p][0], odd.i, `${show(odd.v)} is not a yes/no value (0/1, true/false, yes/no); say which value means 1 with "positive" (the labels hold ${listed})`);
    }
    positive = (v) => yesNo(v) === '1';
    const words = outcomes.map((o) => canon(o.v).toLowerCase());
    if (!names && words.length && words.every((w) => w === 'yes' || w === 'no')) names = ['no', 'yes'];
    if (!names && words.length && words.every((w) => w === 'true' || w === 'false')) names = ['false', 'true'];
  }
  for (const { p, i, v } of present(task, parts)) y[p][i] = positive(v) ? 1 : 0;
  const spec: BinarySpec = { kind: 'binary', ...(names ? { classNames: names } : {}) };
  return { spec, y };
}

function regressionLabels(task: ManifestTask, parts: LabelColumn[][]): TaskLabels {
  const D = parts[0].length;
  const y = emptyRows(parts, D);
  for (const { p, d, i, v } of present(task, parts)) {
    const t = numberOf(v);
    if (!Number.isFinite(t)) fail(task, parts[p][d], i, `${show(v)} is not ${typeof v === 'number' ? 'a finite number' : 'a number'}`);
    y[p][i * D + d] = t;
  }
  const names = task.targetNames ?? (parts[0].every((c) => c.column !== undefined) ? parts[0].map((c) => c.column!) : undefined);
  if (names && names.length !== D) taskFail(task, parts[0][0], `targetNames has ${names.length} names for ${D} targets`);
  const spec: RegressionSpec = { kind: 'regression', targets: D, ...(names ? { targetNames: names } : {}) };
  return { spec, y };
}

/** Per-pixel labels: one column per pixel of the maps (row-major), classes for segmentation, numbers for depth. */
function pixelLabels(task: ManifestTask, parts: LabelColumn[][], grid: PixelGrid): TaskLabels {
  const P = parts[0].length;
  const y = emptyRows(parts, P);
  const { height, width } = grid;
  if (task.kind === 'depth') {
    for (const { p, d, i, v } of present(task, parts)) {
      const t = numberOf(v);
      if (!Number.isFinite(t)) fail(task, parts[p][d], i, `${show(v)} is not a finite depth`);
      y[p][i * P + d] = t;
    }
    const spec: DepthSpec = { kind: 'depth', height, width, ...(task.unit ? { unit: task.unit } : {}) };
    return { spec, y };
  }
  let max = -1;
  for (const { p, d, i, v } of present(task, parts)) {
    const c = numberOf(v);
    if (!Number.isInteger(c) || c < 0) fail(task, parts[p][d], i, `${show(v)} is not a class number (an integer from 0); mark unlabelled pixels with 'missing'`);
    max = Math.max(max, c);
    y[p][i * P + d] = c;
  }
  const classes = task.classes ?? task.classNames?.length ?? max + 1;
  if (classes < 2) taskFail(task, parts[0][0], `the maps hold only class ${max}; a segmentation task needs at least 2 classes (set 'classes')`);
  if (max >= classes) {
    const at = [...present(task, parts)].find(({ v }) => numberOf(v) >= classes)!;
    fail(task, parts[at.p][at.d], at.i, `class ${numberOf(at.v)} is out of range: the task has ${classes} classes (0…${classes - 1}); mark unlabelled pixels with 'missing'`);
  }
  const spec: SegmentationSpec = { kind: 'segmentation', classes, height, width, ...(task.classNames ? { classNames: task.classNames } : {}) };
  return { spec, y };
}

/**
 * A task's labels from its label columns: parts[p][d] is target column d of part p (one column, except
 * for regression with several targets, and per-pixel tasks, a column per pixel of `grid`). A class
 * vocabulary spans every part, so that train and test files agree on what class 2 is.
 */
export function taskLabels(task: ManifestTask, parts: LabelColumn[][], grid?: PixelGrid): TaskLabels {
  if (task.kind === 'segmentation' || task.kind === 'depth') {
    if (!grid) throw new FsmtlError(`task '${task.name}': ${task.kind} labels come from an [N, H, W] array`);
    return pixelLabels(task, parts, grid);
  }
  if (task.kind === 'multiclass') return multiclassLabels(task, parts);
  if (task.kind === 'binary') return binaryLabels(task, parts);
  return regressionLabels(task, parts);
}
