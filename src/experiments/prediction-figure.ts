// The report's figure of predicted maps, for benchmarks of per-pixel tasks: a few test images with the
// ground truth in the first row and each method's predictions below (each method at the keep ratio of
// the report table, its first seed), from the checkpoints the experiment's workers keep of per-pixel
// runs (models/<run key>.safetensors in the store).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine } from '../engine/setup.js';
import { loadModelFile, modelFileNetworks } from '../io/model-file.js';
import { Predictor } from '../io/predictor.js';
import { taskKind } from '../tasks/registry.js';
import { mapFigurePng, type MapPanel } from './map-figure.js';
import type { BenchmarkReport } from './report.js';
import { benchmarkFor } from './run.js';
import type { RunOutcome } from './summary.js';

/** Test images shown per figure. */
export const PREDICTION_IMAGES = 3;

/** Where a worker keeps the checkpoint of a per-pixel run. */
export const modelPath = (store: string, key: string) => join(store, 'models', `${key}.safetensors`);

export interface PredictionFigure {
  name: string;
  title: string;
  /** Row labels, top to bottom (the first is the ground truth). */
  rows: string[];
  png: Uint8Array;
}

/** The figure of one benchmark, or null when it has no per-pixel task or no kept checkpoint. */
export async function predictionFigure(store: string, b: BenchmarkReport, outcomes: RunOutcome[]): Promise<PredictionFigure | null> {
  const models: { label: string; path: string }[] = [];
  for (const r of b.table) {
    const s = r.summary;
    const o = outcomes.find((x) => x.benchmark === b.benchmark && x.label === s.label && x.keep === s.keep && x.seed === s.seeds[0] && x.key);
    if (o && existsSync(modelPath(store, o.key!))) models.push({ label: s.label === s.p || s.keep === null ? s.label : `${s.label} (p=${s.p})`, path: modelPath(store, o.key!) });
  }
  if (!models.length) return null;
  await initEngine({});
  const first = loadModelFile(models[0].path);
  if (first.kind !== 'checkpoint') return null;
  const bench = benchmarkFor(first.checkpoint.config);
  const tasks = bench.tasks.filter((t) => taskKind(t.spec).pixels);
  if (!tasks.length) return null;
  const [h, w, c] = bench.inputShape;
  const n = Math.min(PREDICTION_IMAGES, tasks[0].test.n);
  const x = tasks[0].test.x.subarray(0, n * h * w * c);
  const px = h * w;
  const image = (i: number): MapPanel => ({ type: 'image', channels: c, values: x.subarray(i * px * c, (i + 1) * px * c) });
  const typeOf = (t: (typeof tasks)[number]) => (t.spec.kind === 'segmentation' ? ('classes' as const) : ('values' as const));
  // Ground truth: missing pixels (NaN, the ignore or invalid value) drawn white.
  const truth = tasks.map((t) => {
    const skip = t.spec.kind === 'segmentation' ? t.spec.ignore : t.spec.kind === 'depth' ? t.spec.invalid : undefined;
    return Float32Array.from(t.test.y.subarray(0, n * px), (v) => (v === skip ? NaN : v));
  });
  const depths = truth.filter((_, k) => tasks[k].spec.kind === 'depth').flatMap((d) => Array.from(d).filter(Number.isFinite));
  const depthRange: [number, number] = depths.length ? [Math.min(...depths), Math.max(...depths)] : [0, 1];
  const rows: MapPanel[][] = [Array.from({ length: n }, (_, i) => [image(i), ...tasks.map((t, k) => ({ type: typeOf(t), values: truth[k].subarray(i * px, (i + 1) * px) }))]).flat()];
  const labels = ['ground truth'];
  for (const m of models) {
    const file = loadModelFile(m.path);
    const nets = modelFileNetworks(file);
    const maps = tasks.map((t) => {
      const net = nets.find((q) => q.task === t.name);
      if (!net) return null;
      const p = new Predictor(net);
      try {
        return p.decodeMaps(x, n);
      } finally {
        p.dispose();
      }
    });
    if (maps.some((mp) => !mp)) continue;
    rows.push(Array.from({ length: n }, (_, i) => [image(i), ...maps.map((mp, k) => ({ type: typeOf(tasks[k]), values: mp!.values.subarray(i * px, (i + 1) * px) }))]).flat());
    labels.push(m.label);
  }
  return {
    name: `${b.benchmark}-predictions`,
    title: `${b.benchmark}: ${n} test images (input, ${tasks.map((t) => t.name).join(', ')}); rows: ${labels.join(', ')}`,
    rows: labels,
    png: mapFigurePng(rows, { height: h, width: w, depthRange }),
  };
}
