// Cross-stitch networks (Misra et al., CVPR 2016): one column per task, each a copy of the configured
// extractor, and after every layer a cross-stitch unit that mixes the columns: column c's next input is
//   ã_c = Σ_s α_{s,c} · a_s   (per layer, one T×T matrix α).
// The columns and the units between layers are shared (θsh): every task's loss reaches them. After the
// last layer, task t reads its own mixture Σ_c β_{t,c} · a_c; the row β_t is the last unit's row for
// task t and only its loss trains it, so it is task t's own parameter (as its head is).
// The paper starts α at 0.9 on the own column and 0.1 across (two tasks); with T tasks fsmtl splits the
// 0.1 evenly over the other columns. In θsh a unit is a 1×1 convolution over the task axis of the
// stacked columns (so that masks and the per-example Fisher treat it like any conv layer), which gives it
// a bias of T values (starting at 0) that the paper's units do not have. Every task computes all T
// columns on its own batch, so a step costs about T times a hard-sharing step.
import * as tf from '@tensorflow/tfjs-core';
import type { TaskAdapter } from '../adapters.js';
import { initParams } from '../init.js';
import type { ParamSpec } from '../layers.js';
import { applyLayer, builtBy, checkBase, copies, layerOutputShapes, notPerLayer, sharedNetwork, sizeOf, type SharedLayer } from './network.js';

/** The paper's starting mix: `self` on the own column, the rest split evenly over the others. */
export function stitchInit(tasks: number, self = 0.9): Float32Array {
  const k = new Float32Array(tasks * tasks);
  for (let s = 0; s < tasks; s++) for (let c = 0; c < tasks; c++) k[s * tasks + c] = tasks === 1 ? 1 : s === c ? self : (1 - self) / (tasks - 1);
  return k;
}

/** One cross-stitch unit: columns [N, ...] each → mixed columns; kernel [1, 1, T, T] holds α_{s,c}. */
export function stitch(columns: tf.Tensor[], kernel: tf.Tensor, bias: tf.Tensor, g: number, hooks?: Parameters<NonNullable<TaskAdapter['forward']>>[5]): tf.Tensor[] {
  const n = columns[0].shape[0];
  const shape = columns[0].shape;
  const T = columns.length;
  const stacked = tf.reshape(tf.stack(columns.map((a) => tf.reshape(a, [n, -1])), 2), [n, -1, 1, T]) as tf.Tensor4D;
  hooks?.input?.(g, stacked);
  let z: tf.Tensor = tf.add(tf.conv2d(stacked, kernel as tf.Tensor4D, 1, 'valid'), bias);
  if (hooks?.preActivation) z = hooks.preActivation(g, z);
  if (hooks?.output) z = hooks.output(g, z);
  const flat = tf.reshape(z, [n, -1, T]);
  const P = flat.shape[1] as number;
  return columns.map((_, c) => tf.reshape(tf.slice(flat, [0, 0, c], [n, P, 1]), shape));
}

export function crossStitch(): TaskAdapter {
  const name = 'cross-stitch';
  return {
    name,
    network(base, numTasks) {
      checkBase(name, base);
      const L = base.layers.length;
      const out = layerOutputShapes(base);
      const units: SharedLayer[] = out.slice(0, L - 1).map((shape, l) => ({
        layer: { kind: 'conv', name: `stitch${l}`, kernelSize: 1, inChannels: numTasks, filters: numTasks, stride: 1, padding: 'valid' },
        shape: (n) => [n, sizeOf(shape), 1, numTasks],
      }));
      const init = (specs: ParamSpec[], rng: Parameters<typeof initParams>[1]) =>
        initParams(specs, rng).map((v, i) => (specs[i].name.startsWith('stitch') && specs[i].role === 'kernel' ? stitchInit(numTasks) : v));
      return sharedNetwork(name, base, numTasks, [...copies(base, numTasks, 'column'), ...units], base.featureDim, init);
    },
    specs(network) {
      const T = builtBy(name, network).numTasks;
      return [{ name: 'stitch-out', shape: [T], size: T, layer: 0, role: 'kernel' }];
    },
    init: (specs, _rng, task) => [stitchInit(specs[0].size).subarray(task * specs[0].size, (task + 1) * specs[0].size).slice()],
    apply: notPerLayer(name),
    forward(network, x, params, taskParams, _specs, hooks) {
      const { base, numTasks: T } = builtBy(name, network);
      const L = base.layers.length;
      let cols: tf.Tensor[] = new Array(T).fill(x);
      for (let l = 0; l < L; l++) {
        cols = cols.map((a, c) => applyLayer(base.layers[l], a, params[2 * (c * L + l)], params[2 * (c * L + l) + 1], c * L + l, hooks));
        if (l < L - 1) cols = stitch(cols, params[2 * (T * L + l)], params[2 * (T * L + l) + 1], T * L + l, hooks);
      }
      const beta = taskParams[0];
      return tf.addN(cols.map((a, c) => tf.mul(a, tf.slice(beta, [c], [1])))) as tf.Tensor2D;
    },
  };
}
