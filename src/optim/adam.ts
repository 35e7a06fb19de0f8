// Adam (Kingma & Ba 2015) as a gradient transformation; returns the step to add to the parameters.
import * as tf from '@tensorflow/tfjs-core';
import { adamStep } from '../engine/fused-adam.js';
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
      const stepSize = (lr * Math.sqrt(1 - b2 ** count)) / (1 - b1 ** count);
      // One op per parameter tensor: a single pass over memory on engines with the fused kernel.
      const steps = grads.map((g, i) => adamStep(g, state.m[i], state.v[i], { beta1: b1, beta2: b2, epsilon: eps, stepSize }));
      return { updates: steps.map((s) => s[2]), state: { count, m: steps.map((s) => s[0]), v: steps.map((s) => s[1]) } };
    },
  };
}
