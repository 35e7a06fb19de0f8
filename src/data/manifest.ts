// A benchmark from the user's own data, described by a data manifest (docs/data-manifest.md): which
// files hold the inputs, which columns or files hold each task's labels, and how to split them.
// Tasks that share one input set are homogeneous (aligned examples, one input array); tasks with
// their own inputs make the benchmark heterogeneous. Held-out examples come from a permutation seeded
// by split.seed alone (Rng.derive(seed, 'manifest/split')), so every run sees the same split.
import { basename, dirname, extname, relative } from 'pathe';
import { taskKind, taskSpecSchema } from '../tasks/registry.js';
import type { PixelGrid, TaskSpec } from '../tasks/types.js';
import { FsmtlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { canonicalJson, dataManifestHash } from './manifest-hash.js';
import { taskLabels, type LabelColumn } from './manifest-labels.js';
import { PART_NAMES, readDataManifest, type DataManifest, type ManifestTask, type PartName } from './manifest-schema.js';
import { loadInputFile, loadLabelFile, tableColumns, type InputFile, type LabelFile, type LoadedInputs } from './manifest-sources.js';
import type { Benchmark, Split, TaskData } from './types.js';

export { manifestSchema, type DataManifest } from './manifest-schema.js';
export { dataManifestHash } from './manifest-hash.js';

/** Held-out fraction where the inputs have no test file and the manifest gives none. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** 'all': a single file, split by fractions; otherwise the part a file is for. */
type PartKey = 'all' | PartName;

/** The files of a source by part: { all } for one file, else { train, test?, val? }. */
function partsOf<F>(src: F & Partial<Record<PartName, F>>): Partial<Record<PartKey, F>> {
  const split = PART_NAMES.filter((p) => src[p] !== undefined);
  return split.length ? Object.fromEntries(split.map((p) => [p, src[p]])) : { all: src };
}

const partKeys = <F>(parts: Partial<Record<PartKey, F>>) => Object.keys(parts) as PartKey[];

interface InputSet {
  tasks: number[];
  files: Partial<Record<PartKey, InputFile>>;
  loaded: Partial<Record<PartKey, LoadedInputs>>;
  /** Examples of each split: a part, and the rows of it taken (null: all). */
  plan?: Partial<Record<PartName, { part: PartKey; rows: Int32Array | null }>>;
}

const quoteList = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
const shapeText = (s: number[]) => s.join('×');

/** The columns a set's tasks take as targets from its own CSV (or image index), each with its task. */
function ownTargets(m: DataManifest, set: InputSet): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of set.tasks.map((i) => m.tasks[i])) {
    if (t.labels) continue;
    for (const c of t.targets ?? (t.target !== undefined ? [t.target] : [])) out.set(c, t.name);
  }
  return out;
}

function loadSet(m: DataManifest, set: InputSet, dir: string): void {
  const names = set.tasks.map((i) => m.tasks[i].name);
  // Errors name the tasks that use the inputs; a long list is cut short to keep them on one readable line.
  const named = names.length > 4 ? `${quoteList(names.slice(0, 3))} and ${names.length - 3} more` : quoteList(names);
  const users = `inputs of task${names.length > 1 ? 's' : ''} ${named}`;
  const targets = ownTargets(m, set);
  // The train (or only) file first: its input columns are every other part's.
  const keys = partKeys(set.files).sort((a, b) => Number(b === 'all' || b === 'train') - Number(a === 'all' || a === 'train'));
  let columns: string[] | undefined;
  for (const k of keys) {
    const loaded = loadInputFile(set.files[k]!, dir, targets, users, columns);
    columns ??= loaded.columns;
    set.loaded[k] = loaded;
  }
  const [ref, ...rest] = keys.map((k) => set.loaded[k]!);
  for (const o of rest) {
    if (shapeText(o.shape) !== shapeText(ref.shape)) {
      throw new FsmtlError(`${o.file} (${users}): examples of shape ${shapeText(o.shape)}, but ${ref.file} has ${shapeText(ref.shape)}`);
    }
  }
}

/** The task's label columns for each part of its input set; per-pixel tasks also give their maps' grid. */
function labelColumns(m: DataManifest, task: ManifestTask, set: InputSet, dir: string): { parts: LabelColumn[][]; grid?: PixelGrid } {
  const keys = partKeys(set.loaded);
  const names = task.targets ?? (task.target !== undefined ? [task.target] : undefined);
  if (!task.labels) {
    const parts = keys.map((k) => {
      const inputs = set.loaded[k]!;
      if (!inputs.table) {
        throw new FsmtlError(`${inputs.file} (task '${task.name}'): array inputs have no columns for a 'target': give the task a 'labels' file`);
      }
      return tableColumns(inputs.table, names!, task.name);
    });
    return { parts };
  }
  const labelParts = partsOf<LabelFile>(task.labels);
  const lk = partKeys(labelParts);
  if (lk.slice().sort().join() !== keys.slice().sort().join()) {
    const say = (ks: PartKey[]) => (ks.includes('all') ? 'one file' : `${ks.join('/')} files`);
    throw new FsmtlError(`task '${task.name}': its labels are ${say(lk)} but its inputs are ${say(keys)}; give labels for the same parts`);
  }
  const layout = task.kind === 'regression' ? 'targets' : task.kind === 'segmentation' || task.kind === 'depth' ? 'grid' : 'one';
  let grid: PixelGrid | undefined;
  const parts = keys.map((k) => {
    const inputs = set.loaded[k]!;
    const loaded = loadLabelFile(labelParts[k]!, dir, task.name, names, layout);
    const { file, columns } = loaded;
    if (columns[0].n !== inputs.n) {
      throw new FsmtlError(`task '${task.name}': ${inputs.file} has ${inputs.n} examples but ${file} has ${columns[0].n} labels; they must match row for row`);
    }
    if (loaded.grid) {
      // The maps label the input's pixels: one grid, the inputs' own size, in every file.
      const [h, w] = inputs.shape;
      if (loaded.grid.height !== h || loaded.grid.width !== w) {
        throw new FsmtlError(`task '${task.name}': ${file} holds ${loaded.grid.height}×${loaded.grid.width} maps but the inputs (${inputs.file}) are ${h}×${w}; a ${task.kind} map labels each input pixel`);
      }
      grid = loaded.grid;
    }
    return columns;
  });
  return { parts, ...(grid ? { grid } : {}) };
}

/** The held-out rows of one n-example file: test first, then validation, the rest trains (all sorted). */
function carve(n: number, test: number, val: number, seed: number, manifest: string, file: string): { train: Int32Array; test: Int32Array; val: Int32Array } {
  const kTest = Math.round(n * test);
  const kVal = Math.round(n * val);
  const of = `of the ${n} examples of ${file}`;
  if (test > 0 && kTest < 1) throw new FsmtlError(`${manifest}: split.test ${test} ${of} is no test example; raise split.test or add examples`);
  if (val > 0 && kVal < 1) throw new FsmtlError(`${manifest}: split.val ${val} ${of} is no validation example; raise split.val or add examples`);
  if (kTest + kVal >= n) throw new FsmtlError(`${manifest}: holding out ${kTest + kVal} ${of} leaves no training example`);
  const perm = Rng.derive(seed, 'manifest/split').permutation(n);
  return { test: perm.slice(0, kTest).sort(), val: perm.slice(kTest, kTest + kVal).sort(), train: perm.slice(kTest + kVal).sort() };
}

function planSplits(m: DataManifest, sets: InputSet[], file: string): string[] {
  const seed = m.split?.seed ?? 0;
  for (const which of ['test', 'val'] as const) {
    if (m.split?.[which] !== undefined && sets.every((s) => s.files[which])) {
      throw new FsmtlError(`${file}: split.${which}: every input set has its own ${which} file; leave split.${which} out`);
    }
  }
  return sets.map((set) => {
    const from: PartKey = set.files.all ? 'all' : 'train';
    const base = set.loaded[from]!;
    const test = set.files.test ? 0 : (m.split?.test ?? DEFAULT_TEST_FRACTION);
    const val = set.files.val ? 0 : (m.split?.val ?? 0);
    const c = carve(base.n, test, val, seed, file, base.file);
    const whole = (p: PartKey) => ({ part: p, rows: null });
    set.plan = {
      train: { part: from, rows: c.train },
      test: set.files.test ? whole('test') : { part: from, rows: c.test },
      ...(set.files.val ? { val: whole('val') } : val > 0 ? { val: { part: from, rows: c.val } } : {}),
    };
    const held = [test > 0 ? `test ${test}` : '', val > 0 ? `val ${val}` : ''].filter(Boolean).join(' and ');
    const count = (p: PartName) => (set.plan![p] ? `${set.plan![p]!.rows?.length ?? set.loaded[set.plan![p]!.part]!.n} ${p}` : '');
    const counts = PART_NAMES.map(count).filter(Boolean).join(', ');
    const parts = partKeys(set.loaded)
      .map((k) => `${k === 'all' ? '' : `${k}: `}${set.loaded[k]!.describe}, ${set.loaded[k]!.n} examples`)
      .join('; ');
    const how = held ? `; ${held} of ${from === 'all' ? 'them' : 'the train file'} held out by a permutation with seed ${seed}` : '';
    return `inputs of ${quoteList(set.tasks.map((i) => m.tasks[i].name))}: ${parts}${how} → ${counts}`;
  });
}

function gather(src: Float32Array, rows: Int32Array | null, width: number): Float32Array {
  if (!rows) return src;
  const out = new Float32Array(rows.length * width);
  for (let k = 0; k < rows.length; k++) out.set(src.subarray(rows[k] * width, (rows[k] + 1) * width), k * width);
  return out;
}

function describeSpec(spec: TaskSpec): string {
  if (spec.kind === 'multiclass') return `multiclass, ${spec.classes} classes${spec.classNames ? `: ${spec.classNames.join(', ')}` : ''}`;
  if (spec.kind === 'binary') return `binary${spec.classNames ? `, 0 = ${spec.classNames[0]}, 1 = ${spec.classNames[1]}` : ''}`;
  if (spec.kind === 'segmentation') return `segmentation, ${spec.classes} classes per pixel of ${spec.height}×${spec.width}`;
  if (spec.kind === 'depth') return `depth per pixel of ${spec.height}×${spec.width}${spec.unit ? ` in ${spec.unit}` : ''}`;
  return `regression, ${spec.targets} target${spec.targets > 1 ? 's' : ''}${spec.targetNames ? `: ${spec.targetNames.join(', ')}` : ''}`;
}

/** Labelled examples (a row with any label present) of a split. */
function labelled(y: Float32Array, n: number, width: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < width; d++) {
      if (!Number.isNaN(y[i * width + d])) {
        k++;
        break;
      }
    }
  }
  return k;
}

/**
 * Reads a data manifest and the files it names into a Benchmark. Paths in the manifest are relative
 * to its folder. Errors are FsmtlErrors naming the file, the task, the line (or array row) and the
 * problem.
 */
export function loadDataManifest(path: string): Benchmark {
  const m = readDataManifest(path);
  const dir = dirname(path);

  // Input sets: tasks with equal inputs share one (and its arrays).
  const sets: InputSet[] = [];
  const byKey = new Map<string, InputSet>();
  m.tasks.forEach((t, i) => {
    const inputs = (t.inputs ?? m.inputs)!;
    const key = canonicalJson(inputs);
    let set = byKey.get(key);
    if (!set) {
      set = { tasks: [], files: partsOf<InputFile>(inputs), loaded: {} };
      byKey.set(key, set);
      sets.push(set);
    }
    set.tasks.push(i);
  });
  for (const set of sets) loadSet(m, set, dir);

  const shapeOf = (s: InputSet) => Object.values(s.loaded)[0]!.shape;
  const inputShape = shapeOf(sets[0]);
  if (sets.some((s) => shapeText(shapeOf(s)) !== shapeText(inputShape))) {
    const list = sets.map((s) => `${quoteList(s.tasks.map((i) => m.tasks[i].name))} ${shapeText(shapeOf(s))} (${Object.values(s.loaded)[0]!.file})`);
    throw new FsmtlError(`${path}: the tasks' inputs differ in shape (H×W×C): ${list.join(', ')}; every input set needs the same shape per example`);
  }

  const setOf = new Map<number, InputSet>();
  for (const s of sets) for (const i of s.tasks) setOf.set(i, s);
  // Labels before the split, so that a bad cell is reported as such, whatever the split.
  const labels = m.tasks.map((t, ti) => {
    const { parts: columns, grid } = labelColumns(m, t, setOf.get(ti)!, dir);
    return { columns, ...taskLabels(t, columns, grid) };
  });
  const splitLines = planSplits(m, sets, path);
  const per = inputShape[0] * inputShape[1] * inputShape[2];
  const xCache = new Map<string, Float32Array>();

  const taskLines: string[] = [];
  const tasks: TaskData[] = m.tasks.map((t, ti) => {
    const set = setOf.get(ti)!;
    const keys = partKeys(set.loaded);
    const { columns, spec, y } = labels[ti];
    const parsed = taskSpecSchema.safeParse(spec);
    if (!parsed.success) throw new FsmtlError(`${path}: task '${t.name}': ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const kind = taskKind(spec);
    const width = kind.labelWidth(spec);
    const yOf = new Map(keys.map((k, j) => [k, y[j]]));
    const split = (which: PartName): Split | undefined => {
      const pick = set.plan![which];
      if (!pick) return undefined;
      const n = pick.rows?.length ?? set.loaded[pick.part]!.n;
      // One input array per set and split, shared by its tasks (homogeneous tasks stay aligned).
      const xKey = `${sets.indexOf(set)}/${which}`;
      let x = xCache.get(xKey);
      if (!x) xCache.set(xKey, (x = gather(set.loaded[pick.part]!.x, pick.rows, per)));
      return { x, y: gather(yOf.get(pick.part)!, pick.rows, width), n };
    };
    const train = split('train')!;
    const test = split('test')!;
    const val = split('val');
    const counts: string[] = [];
    for (const [which, s] of [['train', train], ['val', val], ['test', test]] as const) {
      if (!s) continue;
      const k = labelled(s.y, s.n, width);
      if (k === 0) {
        throw new FsmtlError(`${path}: task '${t.name}': the split leaves no labelled ${which} example (${s.n} ${which} examples, every label missing); add labels or change the split`);
      }
      kind.checkLabels(s.y, s.n, spec, `${path}: task '${t.name}' (${which})`);
      counts.push(`${which} ${k} of ${s.n}${k < s.n ? ` (${s.n - k} missing)` : ''}`);
    }
    const file = relative(dir, columns[0][0].file);
    const from = t.labels ? file : `${columns[0].map((c) => `'${c.column}'`).join(', ')} of ${file}`;
    const source = t.labels ? `labels from ${from}` : `column${columns[0].length > 1 ? 's' : ''} ${from}`;
    const missingNote = t.missing !== undefined ? `, ${JSON.stringify(t.missing)} = missing` : '';
    taskLines.push(`task '${t.name}' (${describeSpec(spec)}): ${source}${missingNote}; labelled ${counts.join(', ')}`);
    return { name: t.name, spec, train, test, ...(val ? { val } : {}) };
  });

  const name = m.name ?? basename(path, extname(path));
  const kind = sets.length === 1 ? 'homogeneous' : 'heterogeneous';
  const provenance = [
    `${name}: data manifest ${path}, ${m.tasks.length} ${kind} task${m.tasks.length > 1 ? 's' : ''}, inputs ${shapeText(inputShape)} (H×W×C)${m.description ? `: ${m.description}` : ''}`,
    ...splitLines,
    ...taskLines,
  ];
  return { name, kind, inputShape, tasks, provenance, dataHash: dataManifestHash(path) };
}
