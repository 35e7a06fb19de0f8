// Adam (Kingma & Ba 2015) as a gradient transformation; returns the step to add to the parameters.
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation } from './transform.js';

export interface AdamState {
  count: number;
  m: tf.Tensor[];
  v: tf.Tensor[];
}

export function adam(lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): GradientTransformation<AdamState> {
  return {
    init: (params) => ({ count: 0, m: params.map((p) => tf.zerosLike(p)), v: params.map((p) => tf.zerosLike(p)) }),
    update(grads, state) {
      const count = state.count + 1;
      const m = grads.map((g, i) => tf.add(tf.mul(state.m[i], b1), tf.mul(g, 1 - b1)));
      const v = grads.map((g, i) => tf.add(tf.mul(state.v[i], b2), tf.mul(tf.square(g), 1 - b2)));
      const stepSize = (lr * Math.sqrt(1 - b2 ** count)) / (1 - b1 ** count);
      const updates = m.map((mi, i) => tf.mul(tf.div(mi, tf.add(tf.sqrt(v[i]), eps)), -stepSize));
      return { updates, state: { count, m, v } };
    },
  };
}
