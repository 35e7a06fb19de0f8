// Per-example squared filter gradients of a convolution as one op, for the Fisher of dense-prediction
// extractors (src/sparse/fisher.ts): out = Σ_i w_i (∂/∂W of example i)², where example i's filter gradient
// is the filter gradient of (x_i, dy_i) alone. Backends that register 'FsmtlConvFisher' (wasm:
// ./wasm/conv-fisher.ts; native: ./native/kernels.ts) run the engine's filter-gradient kernel once per
// example on the examples in place, with no slices; elsewhere the Fisher slices examples itself.
import * as tf from '@tensorflow/tfjs-core';

export const CONV_FISHER = 'FsmtlConvFisher';

export interface ConvFisherAttrs {
  /** The filter's shape [kh, kw, cin, cout]. */
  filterShape: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

/** Whether the active backend has the kernel. */
export function hasConvFisherKernel(): boolean {
  return tf.getKernel(CONV_FISHER, tf.getBackend()) !== undefined;
}

/**
 * Σ_i w_i g_i² over the examples of x [N, H, W, cin] and dy [N, oh, ow, cout] (w [N], or every w_i = 1
 * when null), g_i the filter gradient of example i. Only where hasConvFisherKernel() holds.
 */
export function convFisher(x: tf.Tensor4D, dy: tf.Tensor4D, weights: tf.Tensor1D | null, attrs: ConvFisherAttrs): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = weights ? { x, dy, w: weights } : { x, dy };
  return tf.engine().runKernel(CONV_FISHER, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** The geometry every implementation needs, checked. */
export function convFisherInfo(x: tf.TensorInfo, dy: tf.TensorInfo, w: tf.TensorInfo | undefined, attrs: ConvFisherAttrs): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad);
  const ok =
    x.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    dy.shape.length === 4 &&
    dy.shape[0] === x.shape[0] &&
    dy.shape[1] === info.outHeight &&
    dy.shape[2] === info.outWidth &&
    dy.shape[3] === info.outChannels &&
    (!w || (w.dtype === 'float32' && w.shape.length === 1 && w.shape[0] === x.shape[0]));
  if (!ok) {
    throw new Error(`${CONV_FISHER}: x [${x.shape}] (${x.dtype}), dy [${dy.shape}] (${dy.dtype})${w ? `, w [${w.shape}]` : ''} do not fit filter [${attrs.filterShape}]`);
  }
  return info;
}
