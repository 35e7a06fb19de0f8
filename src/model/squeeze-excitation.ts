// Squeeze-and-excitation blocks as task adapters (Hu et al. 2018; used per task by Maninis et al.,
// CVPR-19, "Attentive single-tasking of multiple tasks"): each task rescales every unit (channel) of
// every shared layer's output by a gate computed from that output,
//   s = sigmoid(W2 · relu(W1 · squeeze(a) + b1) + b2),   a' = a ⊙ s,
// where squeeze is the identity for dense layers and the spatial mean for conv layers. On conv layers the
// block sits at the end of the conv-ReLU-pool block, as SE blocks sit at the end of a residual block.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from './adapters.js';
import { outUnits, type ParamSpec } from './layers.js';

/** The bottleneck width of an SE block over `units` channels with reduction r. */
export function seHidden(units: number, reduction: number): number {
  return Math.max(1, Math.floor(units / reduction));
}

export function squeezeExcitation(reduction: number): TaskAdapter {
  return {
    name: 'se',
    specs(extractor) {
      return extractor.layers.flatMap((layer, l): ParamSpec[] => {
        const c = outUnits(layer);
        const h = seHidden(c, reduction);
        return [
          { name: `se${l}/reduce/kernel`, shape: [c, h], size: c * h, layer: l, role: 'kernel' },
          { name: `se${l}/reduce/bias`, shape: [h], size: h, layer: l, role: 'bias' },
          { name: `se${l}/expand/kernel`, shape: [h, c], size: h * c, layer: l, role: 'kernel' },
          { name: `se${l}/expand/bias`, shape: [c], size: c, layer: l, role: 'bias' },
        ];
      });
    },
    apply(layer, a, params, specs) {
      const i = specs.findIndex((s) => s.layer === layer);
      const [w1, b1, w2, b2] = params.slice(i, i + 4) as [tf.Tensor2D, tf.Tensor, tf.Tensor2D, tf.Tensor];
      const squeezed = (a.rank === 4 ? tf.mean(a, [1, 2]) : a) as tf.Tensor2D;
      const hidden = tf.relu(tf.add(tf.matMul(squeezed, w1), b1)) as tf.Tensor2D;
      const gate = tf.sigmoid(tf.add(tf.matMul(hidden, w2), b2));
      return tf.mul(a, a.rank === 4 ? tf.reshape(gate, [a.shape[0], 1, 1, -1]) : gate);
    },
  };
}
