// A confusion matrix accumulated over batches, and the classification metrics read from it. Shared by
// the multiclass and binary kinds (binary is the two-class case: its metrics are macro over {0, 1}).
import { metricsFromConfusion } from '../metrics/classification.js';
import type { MetricAccumulator, MetricDef } from './types.js';

export const CLASSIFICATION_METRICS: MetricDef[] = [
  { name: 'accuracy', title: 'Accuracy', higherIsBetter: true },
  { name: 'precision', title: 'Precision', higherIsBetter: true },
  { name: 'recall', title: 'Recall', higherIsBetter: true },
  { name: 'f1', title: 'F1', higherIsBetter: true },
];

/** Accumulates (true, predicted) pairs of the labelled examples; `predictClass(out, i)` reads example i's class. */
export function confusionAccumulator(classes: number, predictClass: (out: Float32Array, i: number) => number): MetricAccumulator {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let seen = 0;
  return {
    add(out, y, n) {
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(y[i])) continue;
        m[y[i]][predictClass(out, i)]++;
        seen++;
      }
    },
    result(): Record<string, number> {
      if (!seen) return Object.fromEntries(CLASSIFICATION_METRICS.map((d) => [d.name, NaN]));
      return { ...metricsFromConfusion(m) };
    },
  };
}
