// Statistics of a set of task masks: how much of the extractor each task keeps, how much tasks share.
import type { ParamSpec } from '../model/layers.js';
import type { TaskMask } from './masks.js';

export interface MaskStats {
  /** Fraction of shared parameters kept, per task. */
  density: number[];
  /** density[t][l]: fraction kept inside parametric layer l. */
  layerDensity: number[][];
  /** Names of the parametric layers, in layerDensity's order (absent in results stored before it existed). */
  layerNames?: string[];
  /** overlap[a][b] = |S_a ∩ S_b| / min(|S_a|, |S_b|): for random masks at keep ratio p it is ≈ p. */
  overlap: number[][];
  /** jaccard[a][b] = |S_a ∩ S_b| / |S_a ∪ S_b|. */
  jaccard: number[][];
  /** Fraction of shared parameters kept by at least one task. */
  union: number;
  /** Mean of the off-diagonal overlaps. */
  meanOverlap: number;
}

function count(m: TaskMask): number {
  let c = 0;
  for (const part of m) for (let i = 0; i < part.length; i++) c += part[i];
  return c;
}

function intersect(a: TaskMask, b: TaskMask): number {
  let c = 0;
  for (let p = 0; p < a.length; p++) {
    const x = a[p];
    const y = b[p];
    for (let i = 0; i < x.length; i++) c += x[i] & y[i];
  }
  return c;
}

export function maskStats(specs: ParamSpec[], masks: TaskMask[]): MaskStats {
  const total = specs.reduce((a, s) => a + s.size, 0);
  const counts = masks.map(count);
  const layers = [...new Set(specs.map((s) => s.layer))];
  const layerDensity = masks.map((m) =>
    layers.map((l) => {
      let kept = 0;
      let size = 0;
      specs.forEach((s, i) => {
        if (s.layer !== l) return;
        size += s.size;
        for (let j = 0; j < m[i].length; j++) kept += m[i][j];
      });
      return kept / size;
    }),
  );
  const T = masks.length;
  const overlap = Array.from({ length: T }, () => new Array<number>(T).fill(1));
  const jaccard = Array.from({ length: T }, () => new Array<number>(T).fill(1));
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < T; a++) {
    for (let b = a + 1; b < T; b++) {
      const inter = intersect(masks[a], masks[b]);
      const o = inter / Math.max(1, Math.min(counts[a], counts[b]));
      const j = inter / Math.max(1, counts[a] + counts[b] - inter);
      overlap[a][b] = overlap[b][a] = o;
      jaccard[a][b] = jaccard[b][a] = j;
      sum += o;
      pairs++;
    }
  }
  let unionCount = 0;
  for (let p = 0; p < specs.length; p++) {
    for (let i = 0; i < specs[p].size; i++) {
      let any = 0;
      for (const m of masks) any |= m[p][i];
      unionCount += any;
    }
  }
  return {
    density: counts.map((c) => c / total),
    layerDensity,
    // The layer's path without kernel/bias: 'dense0', 'expert1/dense0', 'tower0/block2'.
    layerNames: layers.map((l) => {
      const name = specs.find((s) => s.layer === l)!.name;
      return name.slice(0, name.lastIndexOf('/'));
    }),
    overlap,
    jaccard,
    union: unionCount / total,
    meanOverlap: pairs ? sum / pairs : 1,
  };
}
