// The sparse layout of one parameter tensor in an exported task model: the flat (row-major) indices
// of the kept entries, delta-encoded, and their values. Pure functions, no I/O.
//   indices  d[0] = i[0], d[j] = i[j] - i[j-1] (≥ 1): U16 when every delta fits, else U32
//   values   F32, v[j] = θ[i[j]]
// Decoding is a cumulative sum (numpy: np.cumsum(d, dtype=np.int64)).
import { FsmtlError } from '../util/errors.js';

export interface SparseTensor {
  /** Number of entries of the dense tensor (product of its shape). */
  size: number;
  /** Kept flat indices, strictly increasing. */
  indices: Uint32Array;
  values: Float32Array;
}

/** The entries of `dense` where `mask` is 1. */
export function gatherKept(dense: Float32Array, mask: Uint8Array): SparseTensor {
  let k = 0;
  for (let i = 0; i < mask.length; i++) k += mask[i];
  const indices = new Uint32Array(k);
  const values = new Float32Array(k);
  for (let i = 0, j = 0; i < mask.length; i++) {
    if (mask[i]) {
      indices[j] = i;
      values[j++] = dense[i];
    }
  }
  return { size: dense.length, indices, values };
}

/** The dense tensor: kept values in place, zeros elsewhere. */
export function scatterKept(s: SparseTensor): Float32Array {
  const out = new Float32Array(s.size);
  for (let j = 0; j < s.indices.length; j++) out[s.indices[j]] = s.values[j];
  return out;
}

/** Delta-encodes strictly increasing indices, in 16 bits when every delta fits. */
export function encodeIndices(indices: Uint32Array): Uint16Array | Uint32Array {
  let max = 0;
  for (let j = 0; j < indices.length; j++) max = Math.max(max, j ? indices[j] - indices[j - 1] : indices[0]);
  const out = max <= 0xffff ? new Uint16Array(indices.length) : new Uint32Array(indices.length);
  for (let j = 0; j < indices.length; j++) out[j] = j ? indices[j] - indices[j - 1] : indices[0];
  return out;
}

/** Decodes delta-encoded indices, checking that they increase strictly and stay below `size`. */
export function decodeIndices(deltas: Uint16Array | Uint32Array, size: number, what: string): Uint32Array {
  const out = new Uint32Array(deltas.length);
  let at = 0;
  for (let j = 0; j < deltas.length; j++) {
    if (j > 0 && deltas[j] === 0) throw new FsmtlError(`${what}: index delta ${j} is 0 (indices must increase strictly)`);
    at += deltas[j];
    if (at >= size) throw new FsmtlError(`${what}: kept index ${at} (entry ${j}) is out of range for a tensor of ${size} entries`);
    out[j] = at;
  }
  return out;
}

/** Bytes the sparse layout takes for k kept entries of a tensor of `size` entries. */
export function sparseBytes(indices: Uint32Array): number {
  return indices.length * (encodeIndices(indices).BYTES_PER_ELEMENT + 4);
}
