// Classification metrics (pure). Macro averages weight every class equally; a class that is never
// predicted has precision 0 (and one never present has recall 0), as scikit-learn's zero_division=0.

export interface ClassificationMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

export const METRIC_NAMES = ['accuracy', 'precision', 'recall', 'f1'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  if (yTrue.length !== yPred.length) throw new Error(`metrics: ${yTrue.length} labels but ${yPred.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/**
 * accuracy = correct / n; for class c: precision_c = TP_c / (TP_c + FP_c), recall_c = TP_c / (TP_c + FN_c),
 * F1_c = 2·P_c·R_c / (P_c + R_c); precision, recall and f1 are the unweighted means over the classes
 * (macro F1 is the mean of per-class F1, not the F1 of the macro precision and recall).
 */
export function classificationMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): ClassificationMetrics {
  return metricsFromConfusion(confusionMatrix(yTrue, yPred, numClasses));
}

/** The metrics above from a confusion matrix m[true][predicted] (what an accumulator over batches holds). */
export function metricsFromConfusion(m: number[][]): ClassificationMetrics {
  const numClasses = m.length;
  let correct = 0;
  let n = 0;
  let p = 0;
  let r = 0;
  let f = 0;
  for (let c = 0; c < numClasses; c++) {
    const tp = m[c][c];
    correct += tp;
    let predicted = 0;
    let actual = 0;
    for (let k = 0; k < numClasses; k++) {
      predicted += m[k][c];
      actual += m[c][k];
    }
    n += actual;
    const pc = predicted ? tp / predicted : 0;
    const rc = actual ? tp / actual : 0;
    p += pc;
    r += rc;
    f += pc + rc ? (2 * pc * rc) / (pc + rc) : 0;
  }
  return { accuracy: n ? correct / n : 0, precision: p / numClasses, recall: r / numClasses, f1: f / numClasses };
}

/** Unweighted mean over tasks of each metric. */
export function averageMetrics(perTask: ClassificationMetrics[]): ClassificationMetrics {
  const avg = { accuracy: 0, precision: 0, recall: 0, f1: 0 };
  for (const m of perTask) for (const k of METRIC_NAMES) avg[k] += m[k] / perTask.length;
  return avg;
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  // Sample standard deviation (n − 1), as reported for "mean ± std over 3 runs".
  const v = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}
