// Gradient transformations in the optax style: each step is a pure (init, update) pair over a list of
// tensors, and chain() composes them. The trainer runs update() inside tf.tidy and disposes old state.
import * as tf from '@tensorflow/tfjs-core';

export interface GradientTransformation<S = unknown> {
  init(params: tf.Tensor[]): S;
  /** Maps gradients (or the previous step's updates) to updates; returns the new state. */
  update(grads: tf.Tensor[], state: S, params: tf.Tensor[]): { updates: tf.Tensor[]; state: S };
}

export function chain(...steps: GradientTransformation<any>[]): GradientTransformation<unknown[]> {
  return {
    init: (params) => steps.map((s) => s.init(params)),
    update(grads, state, params) {
      let updates = grads;
      const next: unknown[] = [];
      steps.forEach((s, i) => {
        const r = s.update(updates, state[i], params);
        updates = r.updates;
        next.push(r.state);
      });
      return { updates, state: next };
    },
  };
}

/** Tensors inside a state (arrays and plain objects, recursively). */
export function stateTensors(state: unknown): tf.Tensor[] {
  if (state instanceof tf.Tensor) return [state];
  if (Array.isArray(state)) return state.flatMap(stateTensors);
  if (state && typeof state === 'object') return Object.values(state).flatMap(stateTensors);
  return [];
}
