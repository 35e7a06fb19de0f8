// The training loop (Algorithm 1): per epoch, ask the sharing method for masks (Algorithm 2 when it is
// FS), then one pass of masked multi-task gradient steps. Everything method-specific lives in
// src/methods; everything numeric in src/sparse and src/optim.
import * as tf from '@tensorflow/tfjs-core';
import { FSMTL_VERSION } from '../version.js';
import type { Benchmark } from '../data/types.js';
import { initEngine, type EngineInfo } from '../engine/setup.js';
import { makeExtractor } from '../model/extractor.js';
import { applyHead } from '../model/head.js';
import { MultiTaskModel } from '../model/multitask-model.js';
import { createMethod, methodTraits } from '../methods/registry.js';
import { taskAdapterOf } from '../methods/task-modules.js';
import { networkOf } from '../model/adapters.js';
import { paramSpecs, type ParamSpec } from '../model/layers.js';
import { createWeighting } from '../methods/weighting/registry.js';
import { adam } from '../optim/adam.js';
import { maskUpdates } from '../optim/freeze.js';
import { chain, stateTensors } from '../optim/transform.js';
import { fisherDiagonal } from '../sparse/fisher.js';
import { maskStats, type MaskStats } from '../sparse/mask-stats.js';
import type { TaskMask } from '../sparse/masks.js';
import { withValidation } from '../data/validation.js';
import { metricTitle, taskKind } from '../tasks/registry.js';
import { checkTaskGrid } from '../tasks/pixels.js';
import type { FisherLabel, TaskKindName, TaskSpec } from '../tasks/types.js';
import { FsmtlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { residentBytes } from '../util/memory.js';
import { epochBatches } from './batches.js';
import type { TrainConfig } from './config.js';

export interface EpochLog {
  epoch: number;
  /** Mean training loss per task over the epoch. */
  loss: number[];
  seconds: number;
  masksUpdated: boolean;
}

export interface ProgressEvent {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean of the tasks' losses at this step. */
  loss: number;
  phase: 'train' | 'fisher' | 'eval';
}

/** One task's results: its kind and its metrics (by name; src/tasks says each one's direction). */
export interface TaskResult {
  task: string;
  kind: TaskKindName;
  /** The task's spec as trained (with what prepare() fitted, e.g. regression's standardisation). */
  spec: TaskSpec;
  /** Metrics on the test split. */
  metrics: Record<string, number>;
  /** The same metrics on the validation split (null when the run had none). */
  validation: Record<string, number> | null;
}

export interface TrainResult {
  fsmtlVersion: string;
  config: TrainConfig;
  engine: EngineInfo;
  benchmark: {
    name: string;
    kind: string;
    tasks: string[];
    trainSizes: number[];
    valSizes: number[];
    testSizes: number[];
    provenance: string[];
    /** Content hash of user data (absent for built-in benchmarks, whose data is fixed by name and options). */
    dataHash?: string;
  };
  perTask: TaskResult[];
  /** Each test metric that every task has, averaged over the tasks (e.g. F1 when all tasks classify). */
  average: Record<string, number>;
  /** The gradient weighting used, its mean per-task weights over the run and its solver failures (fallbacks). */
  weighting: { name: string; meanWeights: number[] | null; solverFailures: number };
  /** Statistics of the final masks (null for dense methods). */
  masks: MaskStats | null;
  history: EpochLog[];
  timings: {
    totalSeconds: number;
    trainSeconds: number;
    fisherSeconds: number;
    evalSeconds: number;
    steps: number;
    msPerStep: number;
    fisherEstimates: number;
    msPerFisher: number;
  };
  /** Live tensors (masks excluded) after the first and the last epoch: equal unless something leaks. */
  memory: { tensorsAfterFirstEpoch: number; tensorsAfterLastEpoch: number; peakRssBytes: number; peakTensorBytes: number };
}

export interface EpochEndInfo {
  /** 0-based epoch that just ended. */
  epoch: number;
  /** Masks in force during this epoch (null while dense). */
  masks: TaskMask[] | null;
  /** The model being trained; read it, do not dispose it. */
  model: MultiTaskModel;
  /** This epoch's entry of the result's history (mean losses per task, seconds). */
  log: EpochLog;
  /** Mean training loss per task over the epoch. */
  loss: number[];
  /** Task `task`'s metrics now on one of its splits (a forward pass over it; e.g. for live charts). */
  evaluate(task: number, split: 'val' | 'test'): Record<string, number>;
}

export interface TrainOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** Called after every epoch, e.g. to inspect or save masks and weights. */
  onEpochEnd?: (info: EpochEndInfo) => void;
}

export { FSMTL_VERSION };

interface TaskTensors {
  x: tf.Tensor4D;
  /** Labels as the task kind encodes them, [n, label width]; NaN where missing. */
  y: tf.Tensor2D;
}

function toTensors(b: Benchmark, split: 'train' | 'val' | 'test'): TaskTensors[] {
  const [h, w, c] = b.inputShape;
  const cache = new Map<Float32Array, tf.Tensor4D>();
  return b.tasks.map((t) => {
    const s = t[split]!;
    let x = cache.get(s.x);
    if (!x) {
      x = tf.tensor4d(s.x, [s.n, h, w, c]);
      cache.set(s.x, x);
    }
    const kind = taskKind(t.spec);
    return { x, y: tf.tensor2d(kind.encodeLabels(s.y, t.spec), [s.n, kind.labelWidth(t.spec)]) };
  });
}

/** Indices of the examples with at least one label (the Fisher samples from these). */
function labelledIndices(y: Float32Array, n: number, width: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < width; d++) {
      if (!Number.isNaN(y[i * width + d])) {
        out.push(i);
        break;
      }
    }
  }
  return Int32Array.from(out);
}

/** Checks every split's labels against its task's kind (rows are those of the benchmark as given). */
function checkTasks(bench: Benchmark): Benchmark {
  for (const t of bench.tasks) {
    const kind = taskKind(t.spec);
    const width = kind.labelWidth(t.spec);
    for (const split of ['train', 'val', 'test'] as const) {
      const s = t[split];
      if (!s) continue;
      if (s.y.length !== s.n * width) {
        throw new FsmtlError(`task '${t.name}' (${split}): ${s.y.length} label values for ${s.n} examples of ${width} each`);
      }
      kind.checkLabels(s.y, s.n, t.spec, `task '${t.name}' (${split})`);
    }
  }
  return bench;
}

/** The divergence rule's factor: an epoch's mean loss above DIVERGED × a constant prediction's loss. */
export const DIVERGED = 10;

/** Shared parameters (and so Adam's state) beyond this many floats would not fit in memory: refuse them by name. */
const MAX_SHARED_PARAMS = 2 ** 28;

/**
 * Errors, naming the setting, for a network too large to allocate, and for a keep ratio so small that a
 * task's mask could not hold one parameter per layer (it would train an almost empty extractor silently).
 */
function checkSize(config: TrainConfig, specs: ParamSpec[], towers: number): void {
  const shared = specs.reduce((a, s) => a + s.size, 0);
  if (shared * towers > MAX_SHARED_PARAMS) {
    const what = config.arch === 'mlp' ? `hidden [${config.hidden.join(', ')}]` : `arch ${config.arch}`;
    throw new FsmtlError(`${what} gives ${(shared * towers).toLocaleString('en-US')} extractor parameters, more than fsmtl allocates (${MAX_SHARED_PARAMS.toLocaleString('en-US')}); use smaller layers`);
  }
  const layers = new Set(specs.map((s) => s.layer)).size;
  if (methodTraits(config.method).keep && config.keep * shared < layers) {
    throw new FsmtlError(
      `keep ratio ${config.keep} keeps ${(config.keep * shared).toPrecision(2)} of the ${shared.toLocaleString('en-US')} shared parameters, ` +
        `less than one per layer (${layers}); use at least ${(layers / shared).toPrecision(2)}`,
    );
  }
}

/** Each task's spec completed from its training labels (e.g. regression's standardisation). */
function fitTasks(bench: Benchmark): Benchmark {
  return { ...bench, tasks: bench.tasks.map((t) => ({ ...t, spec: taskKind(t.spec).prepare(t.spec, t.train.y, t.train.n) })) };
}

function maskTensors(masks: TaskMask[] | null, specs: { shape: number[] }[]): tf.Tensor[][] | null {
  if (!masks) return null;
  return masks.map((m) => m.map((part, i) => tf.tensor(Float32Array.from(part), specs[i].shape)));
}

/** 1 where at least one task keeps the parameter. */
function unionTensors(masks: TaskMask[], specs: { shape: number[] }[]): tf.Tensor[] {
  return specs.map((s, i) => {
    const u = new Float32Array(masks[0][i].length);
    for (const m of masks) for (let j = 0; j < u.length; j++) u[j] = u[j] || m[i][j];
    return tf.tensor(u, s.shape);
  });
}

/** A trained network and its final masks; the caller owns the model and must dispose() it. */
export interface TrainedModel {
  result: TrainResult;
  model: MultiTaskModel;
  /** Each task's spec as trained (completed from the training labels, e.g. regression's standardisation). */
  tasks: TaskSpec[];
  /** Each task's final mask over the shared parameters (null for dense methods). */
  masks: TaskMask[] | null;
}

/** Train one method on one benchmark and evaluate it on the test splits. */
export async function train(config: TrainConfig, bench: Benchmark, opts: TrainOptions = {}): Promise<TrainResult> {
  const { result, model } = await trainModel(config, bench, opts);
  model.dispose();
  return result;
}

/** As train(), but hands back the trained model and masks (for checkpoints, export, prediction). */
export async function trainModel(config: TrainConfig, input: Benchmark, opts: TrainOptions = {}): Promise<TrainedModel> {
  const engine = await initEngine({ backend: config.backend });
  const t0 = performance.now();
  let peakRss = residentBytes();
  let peakTensorBytes = 0;
  const sample = () => {
    peakRss = Math.max(peakRss, residentBytes());
    peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
  };

  const bench = fitTasks(withValidation(checkTasks(input), config.validation, (t) => taskKind(t.spec).labelWidth(t.spec)));
  const specs0 = bench.tasks.map((t) => t.spec);
  const kinds = specs0.map((s) => taskKind(s));
  const method = createMethod(config);
  const T = bench.tasks.length;
  // The architecture's (or SE's) task modules, and the shared network they sit in (the extractor itself for hps).
  const adapter = taskAdapterOf(config);
  const base = makeExtractor(config.arch, bench.inputShape, config.hidden);
  // A per-pixel task needs a per-pixel extractor on the same grid, and a per-example task one without a grid.
  bench.tasks.forEach((t, i) => checkTaskGrid(t.name, kinds[i].pixels?.(t.spec), base.pixels, config.arch));
  const extractor = networkOf(base, adapter, T);
  checkSize(config, paramSpecs(extractor.layers), method.separateTowers ? bench.tasks.length : 1);
  const model = new MultiTaskModel(extractor, kinds.map((k, t) => k.outputs(specs0[t])), config.seed, method.separateTowers, adapter);
  const specs = model.specs;
  const trainData = toTensors(bench, 'train');
  const sizes = bench.tasks.map((t) => t.train.n);
  const missing = bench.tasks.map((t) => t.train.y.some(Number.isNaN));
  const labelled = bench.tasks.map((t, i) => labelledIndices(t.train.y, t.train.n, kinds[i].labelWidth(t.spec)));
  const fisherLabel: FisherLabel = config.method === 'efs' ? 'exact' : config.fs.label;
  const placementForward = config.fs.placement === 'forward';
  // Homogeneous inputs and one dense extractor: every task's batch is the same images, so one forward
  // pass serves them all when nothing task-specific happens inside the extractor (see sharedStep).
  const sharedInputs = bench.kind === 'homogeneous' && !method.separateTowers && !adapter;

  let masks: TaskMask[] | null = null;
  let sharingState = method.init(T);
  let masksT: tf.Tensor[][] | null = null;
  let unionT: tf.Tensor[] | null = null;

  // Optimiser: Adam over [towers..., heads...]; shared updates frozen where no task keeps a parameter.
  const variables = model.allVariables();
  const towerCount = model.towers.length * specs.length;
  const optimizer = chain(
    adam(config.lr),
    maskUpdates(() => variables.map((_, i) => (unionT && i < towerCount ? unionT[i % specs.length] : null))),
  );
  let optState = optimizer.init(variables);

  const batchRng = Rng.derive(config.seed, 'batches');
  const fisherRng = Rng.derive(config.seed, 'fisher-samples');
  const history: EpochLog[] = [];
  let fisherMs = 0;
  let fisherEstimates = 0;
  let trainMs = 0;
  let steps = 0;
  /** Each task's loss at the first training step, the divergence rule's second reference. */
  const firstLoss = new Array<number>(bench.tasks.length).fill(NaN);
  let tensorsAfterFirstEpoch = 0;
  let trained = false;

  // Gradient weighting (EW stays on the device: it is the mean; the others combine flattened gradients in JS).
  const weighting = config.weighting === 'ew' || method.separateTowers ? null : createWeighting(config.weighting, config.weightingOptions);
  let weightingState = weighting?.init(T);
  const weightingRng = Rng.derive(config.seed, 'weighting');
  const weightSums = new Array<number>(T).fill(0);
  let weightedSteps = 0;
  let solverFailures = 0;
  const needsRepGrads = weighting?.needsRepresentationGrads === true;
  const lastLayer = Math.max(...specs.map((s) => s.layer));
  const lastStart = specs.filter((s) => s.layer < lastLayer).reduce((a, s) => a + s.size, 0);
  const lastShared: [number, number] = [lastStart, specs.reduce((a, s) => a + s.size, 0)];

  // Live tensors other than the masks in force (they appear when the warm-up ends and are state, not a leak).
  const liveTensors = () => tf.memory().numTensors - (masksT ? masksT.flat().length + unionT!.length : 0);

  /** Task t's extractor parameters, as S_t ⊙ θ (Eq. 3) when `masked` and masks are in force. */
  const taskParams = (t: number, masked: boolean): tf.Tensor[] => {
    const tower = model.tower(t);
    return masked && masksT ? tower.map((v, i) => tf.mul(v, masksT![t][i])) : tower;
  };

  const estimateFisher = (t: number): Float32Array[] => {
    const f0 = performance.now();
    const pool = labelled[t];
    const n = Math.min(config.fs.samples, pool.length);
    if (n === 0) throw new FsmtlError(`task '${bench.tasks[t].name}' has no labelled training example to estimate its Fisher information from`);
    const perm = fisherRng.permutation(pool.length).slice(0, n).map((i) => pool[i]);
    const scores = tf.tidy(() => {
      const idx = tf.tensor1d(perm, 'int32');
      const x = tf.gather(trainData[t].x, idx) as tf.Tensor4D;
      const y = tf.gather(trainData[t].y, idx) as tf.Tensor2D;
      return fisherDiagonal(model.taskExtractor(t), taskParams(t, config.fs.fisherNetwork === 'masked'), model.heads[t], x, y, bench.tasks[t].spec, fisherLabel);
    });
    const out = scores.map((s) => s.dataSync() as Float32Array);
    scores.forEach((s) => s.dispose());
    fisherMs += performance.now() - f0;
    fisherEstimates++;
    return out;
  };

  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const e0 = performance.now();
      // Sparse variables (Algorithm 2), then network parameters (Eq. 12).
      const update = method.masksFor(
        {
          epoch,
          specs,
          numTasks: T,
          fisher: (t) => {
            opts.onProgress?.({ epoch, epochs: config.epochs, step: 0, steps: 0, loss: NaN, phase: 'fisher' });
            return estimateFisher(t);
          },
        },
        sharingState,
      );
      sharingState = update.state;
      const masksUpdated = update.changed;
      if (masksUpdated) {
        masksT?.flat().forEach((m) => m.dispose());
        unionT?.forEach((m) => m.dispose());
        masks = update.masks;
        masksT = maskTensors(masks, specs);
        unionT = masks ? unionTensors(masks, specs) : null;
      }

      const batches = epochBatches(sizes, config.batchSize, bench.kind === 'homogeneous', batchRng);
      const lossSum = new Array<number>(T).fill(0);
      const s0 = performance.now();
      for (let s = 0; s < batches.length; s++) {
        // One pass for all tasks when only their mean gradient is needed (dense MTL with EW, warm-up epochs).
        const lossT = sharedInputs && !weighting && !masksT ? sharedStep(batches[s][0]) : trainStep(batches[s], epoch);
        const losses = lossT.dataSync();
        lossT.dispose();
        for (let t = 0; t < T; t++) {
          if (!Number.isFinite(losses[t])) {
            throw new FsmtlError(
              `task '${bench.tasks[t].name}': the training loss became ${losses[t]} at epoch ${epoch + 1}, step ${s + 1} ` +
                `(method ${config.method}, learning rate ${config.lr}); try a smaller --lr`,
            );
          }
          lossSum[t] += losses[t];
          if (steps === 0) firstLoss[t] = losses[t];
        }
        steps++;
        opts.onProgress?.({
          epoch,
          epochs: config.epochs,
          step: s + 1,
          steps: batches.length,
          loss: Array.from(losses).reduce((a, b) => a + b, 0) / T,
          phase: 'train',
        });
      }
      trainMs += performance.now() - s0;
      checkDivergence(lossSum.map((l) => l / batches.length), epoch);
      sample();
      if (epoch === 0) tensorsAfterFirstEpoch = liveTensors();
      const log: EpochLog = { epoch: epoch + 1, loss: lossSum.map((l) => l / batches.length), seconds: (performance.now() - e0) / 1000, masksUpdated };
      history.push(log);
      opts.onEpochEnd?.({
        epoch,
        masks,
        model,
        log,
        loss: log.loss,
        evaluate: (t, split) => {
          const s = bench.tasks[t][split];
          if (!s) throw new FsmtlError(`task '${bench.tasks[t].name}' has no ${split === 'val' ? 'validation' : 'test'} split`);
          return evaluate(t, s);
        },
      });
    }
    const tensorsAfterLastEpoch = liveTensors();

    // Evaluation: each task with the network it was trained to use (S_t ⊙ θsh when the mask is in the forward pass).
    const v0 = performance.now();
    opts.onProgress?.({ epoch: config.epochs - 1, epochs: config.epochs, step: 0, steps: 0, loss: NaN, phase: 'eval' });
    const hasVal = bench.tasks.every((t) => t.val);
    const perTask = bench.tasks.map(
      (task, t): TaskResult => ({
        task: task.name,
        kind: task.spec.kind,
        spec: task.spec,
        metrics: evaluate(t, task.test),
        validation: hasVal ? evaluate(t, task.val!) : null,
      }),
    );
    sample();
    const evalMs = performance.now() - v0;

    const result: TrainResult = {
      fsmtlVersion: FSMTL_VERSION,
      config,
      engine,
      benchmark: {
        name: bench.name,
        kind: bench.kind,
        tasks: bench.tasks.map((t) => t.name),
        trainSizes: sizes,
        valSizes: bench.tasks.map((t) => t.val?.n ?? 0),
        testSizes: bench.tasks.map((t) => t.test.n),
        provenance: bench.provenance,
        ...(bench.dataHash ? { dataHash: bench.dataHash } : {}),
      },
      perTask,
      average: averageOverTasks(perTask.map((p) => p.metrics)),
      weighting: {
        name: weighting ? config.weighting : 'ew',
        meanWeights: weightedSteps ? weightSums.map((w) => w / weightedSteps) : null,
        solverFailures,
      },
      masks: masks ? maskStats(specs, masks) : null,
      history,
      timings: {
        totalSeconds: (performance.now() - t0) / 1000,
        trainSeconds: trainMs / 1000,
        fisherSeconds: fisherMs / 1000,
        evalSeconds: evalMs / 1000,
        steps,
        msPerStep: steps ? trainMs / steps : 0,
        fisherEstimates,
        msPerFisher: fisherEstimates ? fisherMs / fisherEstimates : 0,
      },
      memory: { tensorsAfterFirstEpoch, tensorsAfterLastEpoch, peakRssBytes: peakRss, peakTensorBytes },
    };
    trained = true;
    return { result, model, masks, tasks: specs0.map((_, t) => bench.tasks[t].spec) };
  } finally {
    masksT?.flat().forEach((m) => m.dispose());
    unionT?.forEach((m) => m.dispose());
    stateTensors(optState).forEach((t) => t.dispose());
    disposeTaskTensors(trainData);
    if (!trained) model.dispose();
  }

  /**
   * The divergence rule (docs/method.md): a task whose mean training loss over an epoch is more than
   * DIVERGED times that of a constant, uninformed prediction has diverged, even while its loss is still
   * finite (a huge learning rate drives the weights far out and the loss with them); stop and say so.
   */
  function checkDivergence(epochLoss: number[], epoch: number): void {
    epochLoss.forEach((loss, t) => {
      const spec = bench.tasks[t].spec;
      const baseline = kinds[t].baselineLoss(spec);
      // Against the first step's loss too: a network whose initial outputs are far off (unscaled tabular
      // inputs) starts above 10× the baseline without diverging, and falls from there.
      if (loss > DIVERGED * Math.max(baseline, firstLoss[t])) {
        throw new FsmtlError(
          `task '${bench.tasks[t].name}': training diverged at epoch ${epoch + 1}: its mean loss ${loss.toPrecision(3)} is more than ${DIVERGED} times ` +
            `that of a constant prediction (${baseline.toPrecision(3)}) and of its first step (${firstLoss[t].toPrecision(3)}); the learning rate ${config.lr} is likely too large (method ${config.method})`,
        );
      }
    });
  }

  /** Task t's mean loss on a batch, from its head outputs. */
  function taskLoss(t: number, out: tf.Tensor, y: tf.Tensor): tf.Scalar {
    return kinds[t].loss(out as tf.Tensor2D, y as tf.Tensor2D, bench.tasks[t].spec, missing[t]);
  }

  /** Applies the optimiser to gradients in allVariables() order; returns the new optimiser state. */
  function applyGradients(grads: tf.Tensor[]): unknown[] {
    const { updates, state } = optimizer.update(grads, optState, variables);
    variables.forEach((v, i) => v.assign(tf.add(v, updates[i])));
    return state;
  }

  function commit(run: () => { losses: tf.Tensor1D; state: unknown[] }): tf.Tensor1D {
    const result = tf.tidy(run as unknown as () => tf.TensorContainer) as unknown as { losses: tf.Tensor1D; state: unknown[] };
    stateTensors(optState).forEach((t) => t.dispose());
    optState = result.state;
    return result.losses;
  }

  /**
   * One step on one shared batch, one forward and one backward pass for all tasks: the gradient of
   * Σ_t L_t gives each head its own loss's gradient and the extractor T times the tasks' mean (EW).
   */
  function sharedStep(batch: Int32Array): tf.Tensor1D {
    return commit(() => {
      const idx = tf.tensor1d(batch, 'int32');
      const x = tf.gather(trainData[0].x, idx) as tf.Tensor4D;
      const ys = trainData.map((d) => tf.gather(d.y, idx));
      const tower = model.tower(0);
      const n = tower.length;
      const losses: tf.Scalar[] = [];
      const { grads } = tf.valueAndGrads((...w: tf.Tensor[]) => {
        const feats = model.features(x, w.slice(0, n));
        for (let t = 0; t < T; t++) {
          const out = applyHead(model.extractor, feats, w[n + 2 * t], w[n + 2 * t + 1]);
          losses.push(tf.keep(taskLoss(t, out, ys[t])));
        }
        return tf.addN(losses) as tf.Scalar;
      })([...tower, ...model.heads.flatMap((h) => [h.kernel, h.bias])]);
      const shared = grads.slice(0, n).map((g) => tf.div(g, T));
      const stacked = tf.stack(losses) as tf.Tensor1D;
      losses.forEach((l) => l.dispose()); // kept out of valueAndGrads' scope, so no tidy will dispose them
      return { losses: stacked, state: applyGradients([...shared, ...grads.slice(n)]) };
    });
  }

  /** One multi-task step, task by task; returns the tasks' losses as a [T] tensor. */
  function trainStep(batch: Int32Array[], epoch: number): tf.Tensor1D {
    return commit(() => {
      const towerGrads: tf.Tensor[][] = model.towers.map(() => []); // per tower: the tasks' gradients, task-major
      const headGrads: tf.Tensor[] = [];
      const adapterGrads: tf.Tensor[] = []; // task-major, like model.adapters.flat()
      const repGrads: tf.Tensor[] = [];
      const losses: tf.Scalar[] = [];
      for (let t = 0; t < T; t++) {
        const idx = tf.tensor1d(batch[t], 'int32');
        const x = tf.gather(trainData[t].x, idx) as tf.Tensor4D;
        const y = tf.gather(trainData[t].y, idx);
        const mask = masksT ? masksT[t] : null;
        const head = model.heads[t];
        // Eq. 3: the task computes with S_t ⊙ θsh. Differentiating with respect to these effective weights
        // and masking once (Eq. 4) gives the same gradient as differentiating through the product, cheaper.
        const effective = taskParams(t, placementForward);
        const n = effective.length;
        const headLoss = (feats: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor) =>
          taskLoss(t, applyHead(model.extractor, feats, kernel, bias), y);
        let features: tf.Tensor | null = null;
        const { value, grads } = tf.valueAndGrads((...w: tf.Tensor[]) => {
          const feats = model.features(x, w.slice(0, n), w.slice(n + 2));
          if (needsRepGrads) features = tf.keep(feats);
          return headLoss(feats, w[n], w[n + 1]);
        })([...effective, head.kernel, head.bias, ...model.adapters[t]]);
        losses.push(value);
        // Eq. 4: task t's gradient reaches only the shared parameters its mask keeps.
        towerGrads[method.separateTowers ? t : 0].push(...grads.slice(0, n).map((g, i) => (mask ? tf.mul(g, mask[i]) : g)));
        headGrads.push(grads[n], grads[n + 1]);
        adapterGrads.push(...grads.slice(n + 2));
        // MGDA-UB: ∇Z L_t, a backward pass through the head only.
        if (features) {
          const z: tf.Tensor = features;
          repGrads.push(tf.grad((f: tf.Tensor) => headLoss(f, head.kernel, head.bias))(z));
          z.dispose(); // kept out of valueAndGrads' scope, so no tidy will dispose it
        }
      }
      let shared: tf.Tensor[];
      if (method.separateTowers) {
        shared = towerGrads.flat();
      } else if (!weighting) {
        // EW: the mean of the tasks' gradients (the paper's "average of all tasks gradients").
        shared = specs.map((_, i) => tf.div(tf.addN(towerGrads[0].filter((_, j) => j % specs.length === i)), T));
      } else {
        const n = specs.length;
        const flat = Array.from({ length: T }, (_, t) =>
          tf.concat(towerGrads[0].slice(t * n, (t + 1) * n).map((g) => tf.reshape(g, [-1]))).dataSync() as Float32Array,
        );
        const lossValues = losses.map((l) => l.dataSync()[0]);
        const representationGrads = needsRepGrads ? repGrads.map((g) => g.dataSync() as Float32Array) : undefined;
        const ctx = { step: steps, epoch, losses: lossValues, rng: weightingRng, lastShared, representationGrads };
        const r = weighting.combine(flat, ctx, weightingState);
        weightingState = r.state;
        solverFailures += r.solverFailures;
        r.weights.forEach((w, t) => (weightSums[t] += w));
        weightedSteps++;
        let offset = 0;
        shared = specs.map((sp) => {
          const g = tf.tensor(r.grad.subarray(offset, offset + sp.size), sp.shape);
          offset += sp.size;
          return g;
        });
        // Loss-weighting methods scale each task's own (head and adapter) gradients by its loss weight too.
        headGrads.forEach((g, i) => {
          const scale = r.headScale[i >> 1];
          if (scale !== 1) headGrads[i] = tf.mul(g, scale);
        });
        const perTask = model.adapterSpecs.length;
        adapterGrads.forEach((g, i) => {
          const scale = r.headScale[Math.floor(i / perTask)];
          if (scale !== 1) adapterGrads[i] = tf.mul(g, scale);
        });
      }
      return { losses: tf.stack(losses) as tf.Tensor1D, state: applyGradients([...shared, ...headGrads, ...adapterGrads]) };
    });
  }

  /** Task t's metrics on a split, accumulated over chunks of its examples. */
  function evaluate(t: number, split: { x: Float32Array; y: Float32Array; n: number }): Record<string, number> {
    const [h, w, c] = bench.inputShape;
    const spec = bench.tasks[t].spec;
    const acc = kinds[t].accumulator(spec);
    const width = kinds[t].labelWidth(spec);
    const chunk = model.extractor.pixels ? 32 : 1000; // per-pixel extractors hold full-resolution activations
    const row = h * w * c;
    for (let s = 0; s < split.n; s += chunk) {
      const n = Math.min(chunk, split.n - s);
      const out = tf.tidy(() => {
        const xb = tf.tensor4d(split.x.subarray(s * row, (s + n) * row), [n, h, w, c]);
        return model.logits(t, xb, taskParams(t, placementForward));
      });
      acc.add(out.dataSync() as Float32Array, split.y.subarray(s * width, (s + n) * width), n);
      out.dispose();
    }
    return acc.result();
  }
}

/**
 * A run in a few words for progress lines: mean F1 when every task has one, else each task's
 * primary metric (F1 of classifiers, R² of regressions), averaged per metric.
 */
export function scoreLine(r: TrainResult): string {
  if ('f1' in r.average) return `F1 ${r.average.f1.toFixed(3)}`;
  const byMetric = new Map<string, number[]>();
  for (const t of r.perTask) {
    const m = taskKind(t.spec).primaryMetric;
    byMetric.set(m, [...(byMetric.get(m) ?? []), t.metrics[m]]);
  }
  return [...byMetric].map(([m, xs]) => `${metricTitle(m)} ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)}`).join(', ');
}

/** Each metric that every task reports, averaged over the tasks. */
export function averageOverTasks(perTask: Record<string, number>[]): Record<string, number> {
  if (!perTask.length) return {};
  const names = Object.keys(perTask[0]).filter((m) => perTask.every((p) => m in p));
  return Object.fromEntries(names.map((m) => [m, perTask.reduce((a, p) => a + p[m], 0) / perTask.length]));
}

function disposeTaskTensors(data: TaskTensors[]): void {
  const seen = new Set<tf.Tensor>();
  for (const d of data) {
    if (!seen.has(d.x)) d.x.dispose();
    seen.add(d.x);
    d.y.dispose();
  }
}
