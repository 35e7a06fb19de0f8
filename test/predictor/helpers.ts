import assert from 'node:assert/strict';

/**
 * The documented tolerance of the sparse path (docs/sparse-inference.md): it sums the same products in
 * another order, so each head output may differ from the dense one by 1e-4 × the largest |output| of its
 * row (at least 1e-4).
 */
export function assertCloseOutputs(got: Float32Array, want: Float32Array, width: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let r = 0; r < want.length / width; r++) {
    let scale = 1;
    for (let c = 0; c < width; c++) scale = Math.max(scale, Math.abs(want[r * width + c]));
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      if (!(Math.abs(got[i] - want[i]) <= 1e-4 * scale)) assert.fail(`${what}: output ${c} of example ${r} is ${got[i]}, the dense path's ${want[i]}`);
    }
  }
}

/** Whether a and b name the same argmax per row (first on ties). */
export function argmaxRows(out: Float32Array, width: number): Int32Array {
  const n = out.length / width;
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (out[i * width + c] > out[i * width + best]) best = c;
    r[i] = best;
  }
  return r;
}
