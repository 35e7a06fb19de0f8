// The sparse path's kernels on the native addon (native/src/sparse_infer.c), or null without it (an addon
// built before they existed counts as without).
import type { SparseKernels } from '../../predictor/kernels.js';
import { nativeAddon } from './addon.js';

let cached: SparseKernels | null | undefined;

export function nativeSparseKernels(): SparseKernels | null {
  if (cached !== undefined) return cached;
  const a = nativeAddon();
  cached =
    a && typeof a.sparseDense === 'function' && typeof a.sparseConvPool === 'function'
      ? {
          name: 'native',
          denseLayout: 'by-output',
          dense: (x, n, inputs, ptr, idx, val, bias, relu, y) => a.sparseDense(x, n, inputs, ptr, idx, val, bias, relu ? 1 : 0, y),
          convPool: (x, n, cin, hp, wp, k, ptr, idx, val, bias, filters, dst, q) => a.sparseConvPool(x, n, cin, hp, wp, k, ptr, idx, val, bias, filters, dst, q),
        }
      : null;
  return cached;
}
