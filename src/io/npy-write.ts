// .npy (format 1.0) bytes of a float32, int32 or uint8 array, C order: what `predict --maps` writes and
// what NumPy's np.load reads.
const DESCR = { float32: '<f4', int32: '<i4', uint8: '|u1' } as const;

export function encodeNpy(data: Float32Array | Int32Array | Uint8Array, shape: number[]): Uint8Array {
  const dtype = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'uint8';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${dims}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64.
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}
