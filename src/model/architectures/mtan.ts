// MTAN, multi-task attention network (Liu et al., CVPR 2019) on a conv extractor. The extractor is the
// shared trunk; each task owns an attention module per conv block that learns a soft mask over the
// block's features s_j (after ReLU, before any pool):
//   a_j = sigmoid(conv1×1(relu(conv1×1([s_j ; g_j])))),   â_j = a_j ⊙ s_j,
//   g_j = relu(f_j(in_j(â_0 … â_{j−1})))   (f_j: a shared conv with the geometry of the trunk's conv j),
// with [s_0] alone at the first block. in_j is the rule by which the trunk forms conv j's input from the
// earlier outputs, applied to the attended ones: a 2×2 pool of the previous block (lenet, cnn, and the
// encoder of segnet), or in segnet's decoder the previous block upsampled plus the encoder skip. So the
// task branch mirrors the trunk block for block, encoder and decoder alike, as in the authors' SegNet
// MTAN. A task's features are the trunk's dense layers applied to pool(â_last) (lenet, cnn), or â_last
// itself at every pixel (segnet). θsh is the trunk and the f_j (as in the authors' code, where these
// convs are shared by the tasks); the attention modules are each task's own. Differences from the
// reference code: no batch normalisation (fsmtl's extractors have none), f_j follows the pool instead of
// preceding it (so that it works for 'valid' convs, lenet, as for 'same' ones), and in the decoder f_j
// reads the upsampled attended features plus the attended skip, as the trunk does.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from '../adapters.js';
import { FsmtlError } from '../../util/errors.js';
import type { ConvLayer, ParamSpec } from '../layers.js';
import { segnetLayerInput } from '../segnet.js';
import type { Extractor } from '../extractor.js';
import { applyLayer, builtBy, checkBase, notPerLayer, sharedNetwork, type SharedLayer } from './network.js';

const conv1x1 = (a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.add(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid'), b);

/** How the trunk forms conv layer j's input from the input and the earlier layers' outputs (after ReLU, unpooled). */
function layerInput(base: Extractor): (j: number, x: tf.Tensor4D, outputs: tf.Tensor[]) => tf.Tensor4D {
  if (base.arch === 'segnet') return segnetLayerInput(base.inputShape);
  return (j, x, outputs) => (j === 0 ? x : tf.maxPool(outputs[j - 1] as tf.Tensor4D, 2, 2, 'valid'));
}

/** Number of leading conv layers (the blocks MTAN attends over). */
function convBlocks(layers: { kind: string }[]): number {
  const b = layers.findIndex((l) => l.kind !== 'conv');
  return b < 0 ? layers.length : b;
}

export function mtan(): TaskAdapter {
  const name = 'mtan';
  return {
    name,
    network(base, numTasks) {
      checkBase(name, base, ['lenet', 'cnn', 'segnet']);
      const B = convBlocks(base.layers);
      if (B < 1 || base.layers.slice(B).some((l) => l.kind === 'conv')) throw new FsmtlError(`mtan needs conv blocks followed by dense layers; '${base.arch}' is not laid out so`);
      const blocks: SharedLayer[] = [];
      for (let j = 0; j + 1 < B; j++) {
        const next = base.layers[j + 1] as ConvLayer;
        blocks.push({ layer: { ...next, name: `block${j}` }, shape: (n) => base.preActivationShapes(n)[j + 1] });
      }
      const trunk: SharedLayer[] = base.layers.map((layer, i) => ({ layer, shape: (n) => base.preActivationShapes(n)[i] }));
      return sharedNetwork(name, base, numTasks, [...trunk, ...blocks], base.featureDim);
    },
    specs(network) {
      const { base } = builtBy(name, network);
      const B = convBlocks(base.layers);
      return base.layers.slice(0, B).flatMap((layer, j): ParamSpec[] => {
        const c = (layer as ConvLayer).filters;
        const cin = j === 0 ? c : 2 * c;
        return [
          { name: `att${j}/a/kernel`, shape: [1, 1, cin, c], size: cin * c, layer: j, role: 'kernel' },
          { name: `att${j}/a/bias`, shape: [c], size: c, layer: j, role: 'bias' },
          { name: `att${j}/b/kernel`, shape: [1, 1, c, c], size: c * c, layer: j, role: 'kernel' },
          { name: `att${j}/b/bias`, shape: [c], size: c, layer: j, role: 'bias' },
        ];
      });
    },
    apply: notPerLayer(name),
    forward(network, x, params, taskParams, _specs, hooks) {
      const { base } = builtBy(name, network);
      const L = base.layers.length;
      const B = convBlocks(base.layers);
      const input = layerInput(base);
      const trunk: tf.Tensor[] = [];
      const attended: tf.Tensor[] = [];
      for (let j = 0; j < B; j++) {
        const s = applyLayer(base.layers[j], input(j, x, trunk), params[2 * j], params[2 * j + 1], j, hooks, false);
        trunk.push(s);
        // f_j sits at shared layer L + j − 1 (f_1 … f_{B−1} follow the trunk's L layers).
        const g = j === 0 ? null : applyLayer(base.layers[j], input(j, x, attended), params[2 * (L + j - 1)], params[2 * (L + j - 1) + 1], L + j - 1, hooks, false);
        const [ka, ba, kb, bb] = taskParams.slice(4 * j, 4 * j + 4);
        const mask = tf.sigmoid(conv1x1(tf.relu(conv1x1(g ? tf.concat([s, g], 3) : s, ka, ba)), kb, bb));
        attended.push(tf.mul(mask, s));
      }
      const last = attended[B - 1];
      if (base.pixels) return tf.reshape(last, [x.shape[0], -1]) as tf.Tensor2D;
      let t: tf.Tensor = tf.maxPool(last as tf.Tensor4D, 2, 2, 'valid');
      for (let i = B; i < L; i++) t = applyLayer(base.layers[i], t, params[2 * i], params[2 * i + 1], i, hooks);
      return t as tf.Tensor2D;
    },
  };
}
