// Shape arithmetic of a batched matrix product op(a)·op(b) with broadcast batch dimensions, shared by the
// wasm and the native matmul kernels. Pure functions of shapes.
import * as tf from '@tensorflow/tfjs-core';

export const prod = (s: number[]): number => s.reduce((x, y) => x * y, 1);

export interface MatMulShape {
  m: number;
  k: number;
  n: number;
  outerA: number[];
  outerB: number[];
  /** The broadcast batch shape of the output. */
  outBatch: number[];
  batchA: number;
  batchB: number;
  batchOut: number;
}

/** m, k, n and the batch sizes of op(a)·op(b); throws tfjs's own message when the inner sizes differ. */
export function matMulShape(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): MatMulShape {
  const aRank = aShape.length;
  const bRank = bShape.length;
  const [aRows, aCols] = [aShape[aRank - 2], aShape[aRank - 1]];
  const [bRows, bCols] = [bShape[bRank - 2], bShape[bRank - 1]];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const kb = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${aShape} and ${bShape} and ` +
        `transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  return { m, k, n, outerA, outerB, outBatch, batchA: prod(outerA), batchB: prod(outerB), batchOut: prod(outBatch) };
}

/** For each output batch index, the batch index into an operand with (left-padded) batch shape `dims`. */
export function batchIndex(outDims: number[], dims: number[]): (o: number) => number {
  const padded = [...new Array<number>(outDims.length - dims.length).fill(1), ...dims];
  const strides = new Array<number>(padded.length);
  let s = 1;
  for (let d = padded.length - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d];
  }
  return (o) => {
    let idx = 0;
    for (let d = outDims.length - 1; d >= 0; d--) {
      const q = o % outDims[d];
      o = (o - q) / outDims[d];
      idx += q * strides[d];
    }
    return idx;
  };
}
