// Building blocks of the multi-task architectures: the configured extractor run layer by layer, hooks
// shifted to a layer's place in the architecture's shared network, and that network's description.
//
// The extractors (src/model/extractor.ts) expose one whole forward pass. Cross-stitch, PLE and MTAN
// need to act between layers, so they run the extractor layer by layer here: a conv layer is
// conv → bias → ReLU → maxpool 2×2, a dense layer flattens its input, then dense → bias → ReLU. That is
// exactly the mlp, lenet and cnn extractors (test/model/architectures.test.ts checks it); any other
// extractor is refused by name rather than run wrongly.
import * as tf from '@tensorflow/tfjs-core';
import type { Extractor, ForwardHooks } from '../extractor.js';
import { paramSpecs, type ParamLayer, type ParamSpec } from '../layers.js';
import { initParams } from '../init.js';
import { FsmtlError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';

/** Extractors whose forward pass is the layer-by-layer one below. */
export const LAYERWISE_ARCHS: readonly string[] = ['mlp', 'lenet', 'cnn'];

/** Refuses an extractor the architecture cannot build on, naming both. */
export function checkBase(architecture: string, base: Extractor, archs: readonly string[] = LAYERWISE_ARCHS): void {
  if (base.composite) throw new FsmtlError(`architecture '${architecture}' cannot be built over the ${base.composite} network`);
  if (!archs.includes(base.arch)) {
    throw new FsmtlError(`architecture '${architecture}' builds on the ${archs.join(', ')} extractors; '${base.arch}' is not one of them`);
  }
}

/** Hooks for a sub-network whose layer i is layer `offset + i` of the whole shared network. */
export function shifted(hooks: ForwardHooks | undefined, offset: number): ForwardHooks | undefined {
  if (!hooks || offset === 0) return hooks;
  return {
    input: hooks.input && ((l, a) => hooks.input!(offset + l, a)),
    preActivation: hooks.preActivation && ((l, z) => hooks.preActivation!(offset + l, z)),
    output: hooks.output && ((l, a) => hooks.output!(offset + l, a)),
  };
}

/**
 * One parametric layer of a layer-wise extractor applied to `a`, tapped as layer `g` of the shared
 * network. `pool: false` stops a conv layer before its maxpool (MTAN attends there).
 */
export function applyLayer(layer: ParamLayer, a: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, g: number, hooks?: ForwardHooks, pool = true): tf.Tensor {
  let z: tf.Tensor;
  if (layer.kind === 'dense') {
    const flat = a.rank === 2 ? a : tf.reshape(a, [a.shape[0], -1]);
    hooks?.input?.(g, flat);
    z = tf.add(tf.matMul(flat as tf.Tensor2D, kernel as tf.Tensor2D), bias);
  } else {
    hooks?.input?.(g, a);
    z = tf.add(tf.conv2d(a as tf.Tensor4D, kernel as tf.Tensor4D, layer.stride, layer.padding), bias);
  }
  if (hooks?.preActivation) z = hooks.preActivation(g, z);
  let out = tf.relu(z);
  if (layer.kind === 'conv' && pool) out = tf.maxPool(out as tf.Tensor4D, 2, 2, 'valid');
  return hooks?.output ? hooks.output(g, out) : out;
}

/** The extractor's forward pass, layer by layer (equal to base.forward for LAYERWISE_ARCHS). */
export function layerwiseForward(base: Extractor, x: tf.Tensor4D, params: tf.Tensor[], hooks?: ForwardHooks, offset = 0): tf.Tensor2D {
  let a: tf.Tensor = x;
  base.layers.forEach((layer, i) => (a = applyLayer(layer, a, params[2 * i], params[2 * i + 1], offset + i, hooks)));
  return a as tf.Tensor2D;
}

/** Shape of each layer's output for one example (after its pool), from the extractor's pre-activation shapes. */
export function layerOutputShapes(base: Extractor): number[][] {
  return base.preActivationShapes(1).map((s, i) => (base.layers[i].kind === 'conv' ? [Math.floor(s[1] / 2), Math.floor(s[2] / 2), s[3]] : [s[1]]));
}

export const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** One layer of the shared network: its description and its pre-activation shape for n examples. */
export interface SharedLayer {
  layer: ParamLayer;
  shape(n: number): number[];
}

/** `copies` copies of the extractor's layers, named prefix0/..., prefix1/...: experts, columns. */
export function copies(base: Extractor, count: number, prefix: string): SharedLayer[] {
  const out: SharedLayer[] = [];
  for (let c = 0; c < count; c++) {
    base.layers.forEach((layer, i) => out.push({ layer: { ...layer, name: `${prefix}${c}/${layer.name}` }, shape: (n) => base.preActivationShapes(n)[i] }));
  }
  return out;
}

/**
 * The shared network of an architecture as an Extractor: its layers are θsh (what masks cover and the
 * Fisher taps). Its own forward refuses: a task's features need the task's modules (TaskAdapter.forward).
 */
export function sharedNetwork(
  name: string,
  base: Extractor,
  numTasks: number,
  layers: SharedLayer[],
  featureDim: number,
  init?: (specs: ParamSpec[], rng: Rng) => Float32Array[],
): Extractor & { base: Extractor; numTasks: number } {
  return {
    arch: base.arch,
    composite: name,
    base,
    numTasks,
    layers: layers.map((l) => l.layer),
    inputShape: base.inputShape,
    featureDim,
    // On a per-pixel extractor (MTAN on segnet) the task features stay per pixel, on the same grid.
    ...(base.pixels ? { pixels: base.pixels } : {}),
    preActivationShapes: (n) => layers.map((l) => l.shape(n)),
    forward() {
      throw new FsmtlError(`the ${name} network computes a task's features with that task's own modules; use its model's features()`);
    },
    ...(init ? { init } : {}),
  };
}

/** The shared network of the expert architectures (MMoE, CGC, PLE, DSelect-k): `experts` copies of the extractor, θsh. */
export function expertsNetwork(name: string, experts: number): (base: Extractor, numTasks: number) => Extractor {
  return (base, numTasks) => {
    checkBase(name, base);
    return sharedNetwork(name, base, numTasks, copies(base, experts, 'expert'), base.featureDim);
  };
}

/** The base extractor and task count of a network this architecture built (or an error: someone passed another). */
export function builtBy(name: string, network: Extractor): { base: Extractor; numTasks: number } {
  const n = network as Partial<{ base: Extractor; numTasks: number }>;
  if (network.composite !== name || !n.base || !n.numTasks) throw new FsmtlError(`architecture '${name}' was given a network it did not build (${network.composite ?? network.arch})`);
  return { base: n.base, numTasks: n.numTasks };
}

/** Specs of a task-owned copy of the extractor (CGC's and PLE's task experts), named prefix/<layer>/... */
export function expertSpecs(base: Extractor, prefix: string): ParamSpec[] {
  return paramSpecs(base.layers).map((s) => ({ ...s, name: `${prefix}/${s.name}` }));
}

/** Uniform(−limit, limit) values (the gates' init; PyTorch's nn.Linear default is limit 1/√fan-in). */
export function uniform(size: number, limit: number, rng: Rng): Float32Array {
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = (2 * rng.next() - 1) * limit;
  return v;
}

/**
 * Initial values of task-owned specs: `limit(spec)` is the uniform range of a gate's tensors, or null for
 * an expert's layer, which starts He-uniform with zero biases like the extractor.
 */
export function initTaskSpecs(specs: ParamSpec[], rng: Rng, limit: (s: ParamSpec) => number | null): Float32Array[] {
  return specs.map((s) => {
    const l = limit(s);
    return l === null ? initParams([s], rng)[0] : uniform(s.size, l, rng);
  });
}

/** Specs of a linear gate from `inputs` values to `outputs` weights. */
export function gateSpecs(name: string, inputs: number, outputs: number): ParamSpec[] {
  return [
    { name: `${name}/kernel`, shape: [inputs, outputs], size: inputs * outputs, layer: 0, role: 'kernel' },
    { name: `${name}/bias`, shape: [outputs], size: outputs, layer: 0, role: 'bias' },
  ];
}

/** TaskAdapter.apply of an architecture: its modules are not per-layer rescalings (forward() runs them). */
export function notPerLayer(name: string): () => never {
  return () => {
    throw new FsmtlError(`architecture '${name}' runs its task modules in its own forward pass, not layer by layer`);
  };
}

/** The input flattened to [N, H·W·C]: what the gates read. */
export function flatInput(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
}

/** Σ_e w[:, e] · reps[e]: reps are [N, ...] each, w is [N, E]. */
export function mixture(reps: tf.Tensor[], w: tf.Tensor2D): tf.Tensor {
  const n = w.shape[0];
  const parts = reps.map((r, e) => tf.mul(r, tf.reshape(tf.slice(w, [0, e], [n, 1]), [n, ...r.shape.slice(1).map(() => 1)])));
  return parts.length === 1 ? parts[0] : tf.addN(parts);
}

/** A softmax gate: softmax(flatten(x) · W + b), [N, E]. */
export function softmaxGate(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return tf.softmax(tf.add(tf.matMul(flatInput(x), kernel as tf.Tensor2D), bias) as tf.Tensor2D);
}
