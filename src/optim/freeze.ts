// Multiplies each update by a 0/1 tensor (or leaves it when null). With masks, a shared parameter that
// no task keeps must not move (Eq. 4): Adam's momentum would otherwise keep moving it after its
// gradient became zero.
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation } from './transform.js';

export function maskUpdates(current: () => (tf.Tensor | null)[]): GradientTransformation<null> {
  return {
    init: () => null,
    update(updates) {
      const masks = current();
      return { updates: updates.map((u, i) => (masks[i] ? tf.mul(u, masks[i]!) : u)), state: null };
    },
  };
}
