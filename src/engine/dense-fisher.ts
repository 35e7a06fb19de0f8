// The diagonal Fisher of a dense ReLU extractor as one op. Backends that register 'FsmtlDenseFisher' (the
// native engine: native/src/dense_fisher.c) run the forward pass, the backward pass and the squared
// per-example gradients in one call; src/sparse/fisher.ts uses it for MLP extractors and runs its generic
// tfjs path everywhere else.
import * as tf from '@tensorflow/tfjs-core';

export const DENSE_FISHER = 'FsmtlDenseFisher';

/** The label modes, numbered as the kernel reads them. */
export const DENSE_FISHER_MODES = { predicted: 0, true: 1, exact: 2 } as const;

export interface DenseFisherAttrs {
  mode: number;
  /** Number of dense layers L; the inputs are x, y, p0 … p(2L+1) (kernels and biases, then the head's). */
  layers: number;
}

/** Whether the active backend has the one-call kernel. */
export function hasDenseFisherKernel(): boolean {
  return tf.getKernel(DENSE_FISHER, tf.getBackend()) !== undefined;
}

/**
 * Mean squared per-example gradients of log p(c | x) for every kernel and bias of a dense ReLU network:
 * x [N, D0] (flattened inputs), y [N] labels, params [W0, b0, …, W(L−1), b(L−1)], head (kernel, bias).
 * Returns [F(W0), F(b0), …]. Only for backends where hasDenseFisherKernel() holds.
 */
export function denseFisher(
  x: tf.Tensor2D,
  y: tf.Tensor1D,
  params: tf.Tensor[],
  headKernel: tf.Tensor,
  headBias: tf.Tensor,
  mode: keyof typeof DENSE_FISHER_MODES,
): tf.Tensor[] {
  return tf.tidy(() => {
    const inputs: tf.NamedTensorMap = { x, y: y.dtype === 'int32' ? y : tf.cast(y, 'int32') };
    [...params, headKernel, headBias].forEach((p, i) => (inputs[`p${i}`] = p));
    const attrs: DenseFisherAttrs = { mode: DENSE_FISHER_MODES[mode], layers: params.length / 2 };
    return tf.engine().runKernel(DENSE_FISHER, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  });
}
