// Shared pieces of the per-pixel kinds (segmentation, depth): the grid in a spec, label checks that name
// the pixel, and the pixel sample on which their exact Fisher expectations are taken.
import { z } from 'zod';
import { FsmtlError } from '../util/errors.js';
import type { PixelGrid } from './types.js';

export const gridFields = {
  height: z.number().int().positive(),
  width: z.number().int().positive(),
};

/**
 * Throws an FsmtlError for the first label that is neither NaN, `skip`, nor `ok`, naming the example
 * (1-based) and the pixel (row, column).
 */
export function checkPixelLabels(y: Float32Array, g: PixelGrid, where: string, ok: (v: number) => boolean, expected: string, skip?: number): void {
  const hw = g.height * g.width;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (Number.isNaN(v) || v === skip || ok(v)) continue;
    const p = i % hw;
    throw new FsmtlError(`${where}: label ${v} of example ${Math.floor(i / hw) + 1} at pixel (row ${Math.floor(p / g.width) + 1}, column ${(p % g.width) + 1}) is not ${expected}`);
  }
}

/** y with `value` replaced by NaN (a dataset's own marker of a missing pixel label). */
export function markMissing(y: Float32Array, value: number | undefined): Float32Array {
  if (value === undefined || Number.isNaN(value)) return y;
  return y.map((v) => (v === value ? NaN : v));
}

/**
 * Pixels at which the exact Fisher expectation (Eq. 9) is taken. Its exact value needs one backward pass
 * per pixel (and per class): the score's expectation is zero at each pixel, so the squared gradient of an
 * example's sum over pixels has no cross terms in expectation, but each pixel's square needs its own pass.
 * Up to EXACT_FISHER_PIXELS pixels on an evenly spaced lattice are used, and their sum is scaled by
 * H·W / (pixels used); a grid that small is used whole (the exact value).
 */
export const EXACT_FISHER_PIXELS = 16;

export function exactFisherPixels(g: PixelGrid, max = EXACT_FISHER_PIXELS): { pixels: number[]; scale: number } {
  const hw = g.height * g.width;
  if (hw <= max) return { pixels: Array.from({ length: hw }, (_, p) => p), scale: 1 };
  // A rows × cols lattice with rows·cols ≤ max and about the grid's aspect ratio.
  let rows = Math.max(1, Math.min(g.height, Math.round(Math.sqrt((max * g.height) / g.width))));
  let cols = Math.max(1, Math.min(g.width, Math.floor(max / rows)));
  while (rows * cols > max) rows--;
  const pixels: number[] = [];
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < cols; b++) {
      pixels.push(Math.floor(((a + 0.5) * g.height) / rows) * g.width + Math.floor(((b + 0.5) * g.width) / cols));
    }
  }
  return { pixels, scale: hw / pixels.length };
}

/**
 * Checks that a task's grid is the extractor's: a per-pixel task needs an extractor with a pixel grid of
 * the same size (e.g. segnet), and a per-example task one without.
 */
export function checkTaskGrid(task: string, kindGrid: PixelGrid | undefined, extractorGrid: PixelGrid | undefined, arch: string): void {
  const show = (g: PixelGrid) => `${g.height}×${g.width}`;
  if (kindGrid && !extractorGrid) {
    throw new FsmtlError(`task '${task}' predicts per pixel (${show(kindGrid)}) but extractor '${arch}' gives one feature vector per example; use a dense-prediction extractor (e.g. --arch segnet)`);
  }
  if (!kindGrid && extractorGrid) {
    throw new FsmtlError(`task '${task}' predicts one value per example but extractor '${arch}' predicts per pixel (${show(extractorGrid)}); use it for per-pixel tasks only`);
  }
  if (kindGrid && extractorGrid && (kindGrid.height !== extractorGrid.height || kindGrid.width !== extractorGrid.width)) {
    throw new FsmtlError(`task '${task}' labels a ${show(kindGrid)} pixel grid but extractor '${arch}' outputs ${show(extractorGrid)}`);
  }
}
