// The gradient of nearest-neighbour resizing (segnet's upsampling), shared by fsmtl's wasm kernel and its
// cpu fix. Each dx pixel sums its own contiguous block of dy rows × columns, found once per axis, with the
// forward kernel's mapping (src = min(in − 1, floor(i · in/out)), or round with alignCorners), summed in
// doubles in row-major order.
//
// Why a cpu kernel too: tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad offsets dy by the *images'*
// batch stride, so every example after the first reads the wrong part of dy whenever the sizes differ
// (always, for upsampling): test/engine/dense-kernels.test.ts shows it against a gather-based reference.
import * as tf from '@tensorflow/tfjs-core';

/** For each source index s in [0, inSize): the range [lo[s], hi[s]) of output indices that read it. */
export function nearestSources(inSize: number, outSize: number, alignCorners: boolean): { lo: Int32Array; hi: Int32Array } {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const scale = effIn / effOut;
  const lo = new Int32Array(inSize).fill(0);
  const hi = new Int32Array(inSize).fill(0);
  let prev = -1;
  for (let i = 0; i < outSize; i++) {
    const frac = i * scale;
    const s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (s !== prev) lo[s] = i;
    hi[s] = i + 1;
    prev = s;
  }
  return { lo, hi };
}

/** dx [b, xh, xw, d] from dy [b, yh, yw, d]. */
export function resizeNearestBackprop(dys: Float32Array, dx: Float32Array, shape: number[], yh: number, yw: number, alignCorners: boolean): void {
  const [b, xh, xw, d] = shape;
  const rows = nearestSources(xh, yh, alignCorners);
  const cols = nearestSources(xw, yw, alignCorners);
  const acc = new Float64Array(d);
  let q = 0;
  for (let n = 0; n < b; n++) {
    const dyBase = n * yh * yw * d;
    for (let r = 0; r < xh; r++) {
      for (let c = 0; c < xw; c++, q += d) {
        acc.fill(0);
        for (let i = rows.lo[r]; i < rows.hi[r]; i++) {
          for (let j = cols.lo[c]; j < cols.hi[c]; j++) {
            const p = dyBase + (i * yw + j) * d;
            for (let k = 0; k < d; k++) acc[k] += dys[p + k];
          }
        }
        for (let k = 0; k < d; k++) dx[q + k] = acc[k];
      }
    }
  }
}


/** The cpu backend's ResizeNearestNeighborGrad, replaced by this one on import of the engine. */
export function registerCpuResizeNearestGrad(): void {
  if (tf.getKernel(tf.ResizeNearestNeighborGrad, 'cpu')) tf.unregisterKernel(tf.ResizeNearestNeighborGrad, 'cpu');
  tf.registerKernel({
    kernelName: tf.ResizeNearestNeighborGrad,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const cpu = backend as unknown as {
        data: { get(id: unknown): { values: Float32Array } };
        makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
      };
      const dx = new Float32Array(tf.util.sizeFromShape(images.shape));
      const dys = Float32Array.from(cpu.data.get(dy.dataId).values);
      resizeNearestBackprop(dys, dx, images.shape, dy.shape[1], dy.shape[2], !!(attrs as unknown as tf.ResizeNearestNeighborGradAttrs).alignCorners);
      return cpu.makeTensorInfo([...images.shape], 'float32', dx);
    },
  });
}
