// One Adam update as one op: (g, m, v) → (m', v', step). Backends that register the kernel 'FsmtlAdam'
// (the native engine) do it in one pass over memory; everywhere else the same arithmetic runs as composite
// tfjs ops, in the same float32 operation order, so both give the same numbers.
//   m' = m·b1 + g·(1 − b1);  v' = v·b2 + g²·(1 − b2);  step = m' / (√v' + eps) · (−stepSize)
import * as tf from '@tensorflow/tfjs-core';

export const FUSED_ADAM = 'FsmtlAdam';

export interface FusedAdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The bias-corrected learning rate of this step. */
  stepSize: number;
}

/** The composite form (every backend); exported for parity tests. */
export function adamStepComposite(g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: FusedAdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
    const v2 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
    const step = tf.mul(tf.div(m2, tf.add(tf.sqrt(v2), a.epsilon)), -a.stepSize);
    return [m2, v2, step];
  });
}

/** Whether the active backend has the one-pass kernel. */
export function hasFusedAdamKernel(): boolean {
  return tf.getKernel(FUSED_ADAM, tf.getBackend()) !== undefined;
}

/** (m', v', step) of one Adam update; the one-pass kernel where the backend has one. */
export function adamStep(g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: FusedAdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (g.dtype === 'float32' && m.dtype === 'float32' && v.dtype === 'float32' && hasFusedAdamKernel()) {
    const out = tf.engine().runKernel(FUSED_ADAM, { g, m, v }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    return [out[0], out[1], out[2]];
  }
  return adamStepComposite(g, m, v, attrs);
}
