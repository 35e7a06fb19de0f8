// Validation of class labels and of image/label pairs.
import { FsmtlError } from '../util/errors.js';

/**
 * Converts labels to an Int32Array after checking that every one is an integer in [0, numClasses).
 * `name` (the label file) is named in the error, with the first bad index and value.
 */
export function validateLabels(labels: ArrayLike<number | bigint>, numClasses: number, name: string): Int32Array {
  const n = labels.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const raw = labels[i];
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new FsmtlError(`${name}: label at index ${i} is ${String(raw)}, outside [0, ${numClasses}) (${numClasses} classes)`);
    }
    out[i] = v;
  }
  return out;
}

/** Errors if the image and label files hold different numbers of examples. */
export function checkCounts(nImages: number, nLabels: number, imagesName: string, labelsName: string): void {
  if (nImages !== nLabels) {
    throw new FsmtlError(
      `${imagesName}: ${nImages} images but ${labelsName} has ${nLabels} labels; the counts must match`,
    );
  }
}

/** Count of each class 0..numClasses-1. */
export function classHistogram(labels: ArrayLike<number>, numClasses: number): number[] {
  const h = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]]++;
  return h;
}
