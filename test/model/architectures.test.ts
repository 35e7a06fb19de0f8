// The multi-task architectures' forward definitions, each against a computation written out by hand
// here (plain loops over the weights for the MLP-based ones, explicit tf ops for MTAN on lenet), the
// layer-by-layer run of the extractors against their own forward pass, and the per-example Fisher of
// an architecture's shared network against per-example gradients taken one example at a time.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import { lenetExtractor, makeExtractor, mlpExtractor, type Extractor } from '../../src/model/extractor.js';
import { networkOf, type TaskAdapter } from '../../src/model/adapters.js';
import { MultiTaskModel } from '../../src/model/multitask-model.js';
import { paramSpecs } from '../../src/model/layers.js';
import { initParams } from '../../src/model/init.js';
import { layerwiseForward } from '../../src/model/architectures/network.js';
import { mmoe } from '../../src/model/architectures/mmoe.js';
import { cgc } from '../../src/model/architectures/cgc.js';
import { ple } from '../../src/model/architectures/ple.js';
import { binaryCodes, dselectK, dselectWeights } from '../../src/model/architectures/dselect-k.js';
import { crossStitch, stitchInit } from '../../src/model/architectures/cross-stitch.js';
import { mtan } from '../../src/model/architectures/mtan.js';
import { ARCHITECTURES } from '../../src/model/architectures/registry.js';
import { fisherDiagonal } from '../../src/sparse/fisher.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { FsmtlError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

before(async () => {
  await initEngine({ backend: 'cpu' });
});

type Vec = number[];
const D = 4;

/** A model with every variable (biases too) set to seeded random values, so that no term hides behind a zero. */
function randomModel(base: Extractor, adapter: TaskAdapter, tasks: number, seed = 1): MultiTaskModel {
  const model = new MultiTaskModel(networkOf(base, adapter, tasks), new Array(tasks).fill(2), seed, false, adapter);
  const rng = new Rng(seed + 100);
  for (const v of model.allVariables()) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => rng.next() * 1.2 - 0.6), v.shape));
  return model;
}

const read = (v: tf.Tensor): Float32Array => v.dataSync() as Float32Array;
/** relu?(a · W + b) for one example, W row-major [in, out]. */
function dense(a: Vec, W: Float32Array, b: Float32Array, relu = true): Vec {
  const out = b.length;
  return Array.from({ length: out }, (_, j) => {
    let z = b[j];
    for (let i = 0; i < a.length; i++) z += a[i] * W[i * out + j];
    return relu ? Math.max(0, z) : z;
  });
}
const softmax = (z: Vec): Vec => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const mix = (reps: Vec[], w: Vec): Vec => reps[0].map((_, j) => reps.reduce((a, r, e) => a + w[e] * r[j], 0));
/** An MLP expert from its parameter tensors [k0, b0, k1, b1, ...]. */
const mlp = (x: Vec, p: tf.Tensor[]): Vec => {
  let a = x;
  for (let i = 0; i < p.length; i += 2) a = dense(a, read(p[i]), read(p[i + 1]));
  return a;
};

const N = 5;
function inputs(seed = 3): { x: tf.Tensor4D; rows: Vec[] } {
  const rng = new Rng(seed);
  const rows = Array.from({ length: N }, () => Array.from({ length: D }, () => rng.next() * 2 - 1));
  return { x: tf.tensor4d(rows.flat(), [N, 1, 1, D]), rows };
}

function assertClose(actual: Float32Array | Vec, expected: Vec, what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

/** Task t's features for every row, from the model. */
const features = (model: MultiTaskModel, t: number, x: tf.Tensor4D): Float32Array => read(model.features(x, model.tower(t), model.adapters[t]));

test('layer by layer, the mlp, lenet and cnn extractors compute exactly their own forward pass', () => {
  for (const [arch, shape] of [['mlp', [6, 6, 2]], ['lenet', [20, 18, 1]], ['cnn', [16, 16, 3]]] as const) {
    const base = makeExtractor(arch, [...shape], [5, 4]);
    const rng = new Rng(7);
    const params = initParams(paramSpecs(base.layers), rng).map((v, i) => tf.tensor(v.map(() => rng.next() - 0.5), paramSpecs(base.layers)[i].shape));
    const x = tf.randomUniform([3, ...shape], 0, 1, 'float32', 5) as tf.Tensor4D;
    assertClose(read(layerwiseForward(base, x, params)), Array.from(read(base.forward(x, params))), arch, 1e-4);
  }
});

test('MMoE: task features are Σ_e softmax(W_t x + b_t)_e · expert_e(x), with experts shared and gates per task', () => {
  const base = mlpExtractor([1, 1, D], [3, 2]);
  const model = randomModel(base, mmoe(3), 2);
  assert.equal(model.towers[0].length, 3 * 4, 'three experts of two layers in θsh');
  const { x, rows } = inputs();
  for (let t = 0; t < 2; t++) {
    const [Wg, bg] = model.adapters[t].map(read);
    const expected = rows.flatMap((r) => mix([0, 1, 2].map((e) => mlp(r, model.tower(t).slice(4 * e, 4 * e + 4))), softmax(dense(r, Wg, bg, false))));
    assertClose(features(model, t, x), expected, `task ${t}`);
  }
  // The tasks differ only through their gates.
  assert.notDeepEqual(Array.from(features(model, 0, x)), Array.from(features(model, 1, x)));
  model.dispose();
});

test("CGC: a task mixes the shared experts and its own by its gate; another task's experts play no part", () => {
  const base = mlpExtractor([1, 1, D], [3]);
  const model = randomModel(base, cgc(2, 2), 2);
  assert.equal(model.towers[0].length, 2 * 2, 'only the two shared experts are θsh');
  const { x, rows } = inputs();
  for (let t = 0; t < 2; t++) {
    const own = model.adapters[t];
    const [Wg, bg] = own.slice(0, 2).map(read);
    const experts = (r: Vec) => [mlp(r, model.tower(t).slice(0, 2)), mlp(r, model.tower(t).slice(2, 4)), mlp(r, own.slice(2, 4)), mlp(r, own.slice(4, 6))];
    assertClose(features(model, t, x), rows.flatMap((r) => mix(experts(r), softmax(dense(r, Wg, bg, false)))), `task ${t}`);
  }
  model.dispose();
});

test('PLE: at every layer a task gates the shared and its own experts over its previous level', () => {
  const base = mlpExtractor([1, 1, D], [3, 2]);
  const model = randomModel(base, ple(1, 1), 2);
  const { x, rows } = inputs();
  for (let t = 0; t < 2; t++) {
    const p = model.adapters[t];
    const shared = model.tower(t);
    const expected = rows.flatMap((r) => {
      let rep = r;
      for (let l = 0; l < 2; l++) {
        const outs = [dense(rep, read(shared[2 * l]), read(shared[2 * l + 1])), dense(rep, read(p[4 + 2 * l]), read(p[4 + 2 * l + 1]))];
        rep = mix(outs, softmax(dense(rep, read(p[2 * l]), read(p[2 * l + 1]), false)));
      }
      return rep;
    });
    assertClose(features(model, t, x), expected, `task ${t}`);
  }
  model.dispose();
});

const smooth = (t: number, g: number) => (t <= -g / 2 ? 0 : t >= g / 2 ? 1 : (-2 / g ** 3) * t ** 3 + (3 / (2 * g)) * t + 0.5);

test('DSelect-k: expert weights from smooth-step binary selectors and softmax selector weights', () => {
  const E = 4;
  const k = 2;
  const gamma = 1.5;
  const base = mlpExtractor([1, 1, D], [3]);
  const model = randomModel(base, dselectK(E, k, gamma), 2);
  const { x, rows } = inputs();
  for (let t = 0; t < 2; t++) {
    const [Wz, bz, Ww, bw] = model.adapters[t].map(read);
    const expected = rows.flatMap((r) => {
      const z = dense(r, Wz, bz, false);
      const w = softmax(dense(r, Ww, bw, false));
      const alpha = Array.from({ length: E }, (_, e) =>
        w.reduce((a, wi, i) => a + wi * [0, 1].reduce((p, j) => p * (((e >> (1 - j)) & 1) === 1 ? smooth(z[i * 2 + j], gamma) : 1 - smooth(z[i * 2 + j], gamma)), 1), 0),
      );
      return mix([0, 1, 2, 3].map((e) => mlp(r, model.tower(t).slice(2 * e, 2 * e + 2))), alpha);
    });
    assertClose(features(model, t, x), expected, `task ${t}`);
  }
  model.dispose();
});

test('DSelect-k: the weights sum to 1; saturated selectors pick the experts their signs encode', () => {
  assert.deepEqual(Array.from(binaryCodes(4, 2)), [0, 0, 0, 1, 1, 0, 1, 1]);
  const rng = new Rng(9);
  const z = tf.tensor2d(Array.from({ length: 6 * 3 * 3 }, () => rng.normal()), [6, 9]);
  const w = tf.tensor2d(Array.from({ length: 6 * 3 }, () => rng.normal()), [6, 3]);
  const a = read(dselectWeights(z, w, 8, 3, 1));
  for (let n = 0; n < 6; n++) assert.ok(Math.abs(a.slice(8 * n, 8 * n + 8).reduce((s, v) => s + v, 0) - 1) < 1e-5);
  // One selector with logits (+, −, +) beyond ±γ/2: expert 0b101 = 5 alone.
  const one = read(dselectWeights(tf.tensor2d([[2, -3, 0.8]]), tf.tensor2d([[0.3]]), 8, 1, 1));
  assert.deepEqual(Array.from(one), [0, 0, 0, 0, 0, 1, 0, 0]);
  assert.throws(() => dselectK(3, 1, 1), (e: Error) => e instanceof FsmtlError && /power of two/.test(e.message));
  assert.throws(() => parseTrainConfig({ architecture: 'dselect-k', architectureOptions: { experts: 6 } }), /config\.architectureOptions\.experts: dselect-k needs a power of two/);
});

test('cross-stitch: columns mixed by shared units after every layer but the last, then by the task own row', () => {
  const T = 3;
  const base = mlpExtractor([1, 1, D], [3, 2]);
  // Before randomising: the units start at the paper's 0.9 / 0.1 (split over the other columns), rows summing to 1.
  const fresh = new MultiTaskModel(networkOf(base, crossStitch(), T), [2, 2, 2], 0, false, crossStitch());
  assertClose(read(fresh.towers[0][2 * T * 2]), Array.from(stitchInit(T)), 'initial unit');
  assertClose(read(fresh.adapters[1][0]), [0.05, 0.9, 0.05], 'initial row of task 1');
  fresh.dispose();
  const model = randomModel(base, crossStitch(), T);
  const p = model.towers[0];
  const col = (c: number, l: number) => [read(p[2 * (c * 2 + l)]), read(p[2 * (c * 2 + l) + 1])] as const;
  const [K, bK] = [read(p[2 * T * 2]), read(p[2 * T * 2 + 1])];
  const { x, rows } = inputs();
  for (let t = 0; t < T; t++) {
    const beta = read(model.adapters[t][0]);
    const expected = rows.flatMap((r) => {
      const a0 = [0, 1, 2].map((c) => dense(r, ...col(c, 0)));
      const mixed = [0, 1, 2].map((c) => a0[0].map((_, j) => bK[c] + a0.reduce((s, a, src) => s + a[j] * K[src * T + c], 0)));
      const a1 = [0, 1, 2].map((c) => dense(mixed[c], ...col(c, 1)));
      return mix(a1, Array.from(beta));
    });
    assertClose(features(model, t, x), expected, `task ${t}`);
  }
  model.dispose();
});

test('MTAN on lenet: task attention masks over the shared blocks, as written out with tf ops', () => {
  const base = lenetExtractor([16, 16, 1]);
  const model = randomModel(base, mtan(), 2);
  const x = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const [k0, b0, k1, b1, k2, b2, k3, b3, kf, bf] = model.towers[0];
  for (let t = 0; t < 2; t++) {
    const [a0, c0, a0b, c0b, a1, c1, a1b, c1b] = model.adapters[t];
    const pool = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid');
    const conv = (a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.add(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid'), b);
    const att = (a: tf.Tensor, ka: tf.Tensor, ba: tf.Tensor, kb: tf.Tensor, bb: tf.Tensor) => tf.sigmoid(conv(tf.relu(conv(a, ka, ba)), kb, bb));
    const s0 = tf.relu(conv(x, k0, b0));
    const h0 = tf.mul(att(s0, a0, c0, a0b, c0b), s0);
    const g1 = tf.relu(conv(pool(h0), kf, bf));
    const s1 = tf.relu(conv(pool(s0), k1, b1));
    const h1 = tf.mul(att(tf.concat([s1, g1], 3), a1, c1, a1b, c1b), s1);
    const flat = tf.reshape(pool(h1), [2, -1]) as tf.Tensor2D;
    const d = tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, k2 as tf.Tensor2D), b2)) as tf.Tensor2D, k3 as tf.Tensor2D), b3));
    assertClose(features(model, t, x), Array.from(read(d)), `task ${t}`, 1e-4);
  }
  assert.throws(() => networkOf(mlpExtractor([28, 28, 1], [8]), mtan(), 2), (e: Error) => e instanceof FsmtlError && /mtan.*lenet, cnn.*'mlp'/.test(e.message));
  model.dispose();
});

test('MTAN on segnet: attention over every encoder and decoder block, the decoder branch upsampled with the attended skip, as written out with tf ops', () => {
  const base = makeExtractor('segnet', [9, 8, 2], []);
  const model = randomModel(base, mtan(), 2);
  assert.deepEqual(model.extractor.pixels, { height: 9, width: 8 }, 'features stay per pixel');
  assert.deepEqual(model.specs.map((s) => s.name).filter((n) => n.endsWith('kernel')), ['enc0/kernel', 'enc1/kernel', 'enc2/kernel', 'mid/kernel', 'dec2/kernel', 'dec1/kernel', 'dec0/kernel', ...[0, 1, 2, 3, 4, 5].map((j) => `block${j}/kernel`)]);
  const x = tf.randomUniform([2, 9, 8, 2], 0, 1, 'float32', 6) as tf.Tensor4D;
  const p = model.towers[0];
  const k = (i: number) => p[2 * i];
  const b = (i: number) => p[2 * i + 1];
  const conv = (a: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor, pad: 'same' | 'valid' = 'same') => tf.add(tf.conv2d(a as tf.Tensor4D, kk as tf.Tensor4D, 1, pad), bb);
  const pool = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid');
  const up = (a: tf.Tensor, hw: [number, number]) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, hw);
  // Stage sizes 9×8 → 4×4 → 2×2 → 1×1; layer i's input from earlier outputs o (the trunk's rule).
  const sizes: [number, number][] = [[9, 8], [4, 4], [2, 2], [1, 1]];
  const inputOf = (i: number, o: tf.Tensor[]): tf.Tensor => {
    if (i === 0) return x;
    if (i <= 3) return pool(o[i - 1]);
    return tf.add(up(o[i - 1], sizes[[0, 0, 0, 0, 2, 1, 0][i]]), o[6 - i]);
  };
  for (let t = 0; t < 2; t++) {
    const a = model.adapters[t];
    const s: tf.Tensor[] = [];
    const h: tf.Tensor[] = [];
    for (let i = 0; i < 7; i++) {
      s.push(tf.relu(conv(inputOf(i, s), k(i), b(i))));
      // g_i: the shared f_i (layer 7 + i − 1) on the attended branch's own input.
      const both = i === 0 ? s[0] : tf.concat([s[i], tf.relu(conv(inputOf(i, h), k(6 + i), b(6 + i)))], 3);
      const mask = tf.sigmoid(conv(tf.relu(conv(both, a[4 * i], a[4 * i + 1], 'valid')), a[4 * i + 2], a[4 * i + 3], 'valid'));
      h.push(tf.mul(mask, s[i]));
    }
    assertClose(features(model, t, x), Array.from(read(tf.reshape(h[6], [2, -1]))), `task ${t}`, 1e-4);
  }
  // The heads act per pixel: logits are [N, H·W·outputs].
  assert.deepEqual(model.logits(0, x, model.tower(0)).shape, [2, 9 * 8 * 2]);
  // The mixtures of experts and cross-stitch stay on the per-example extractors, and say so.
  for (const other of [mmoe(2), crossStitch()]) {
    assert.throws(() => networkOf(base, other, 2), (e: Error) => e instanceof FsmtlError && /builds on the mlp, lenet, cnn extractors; 'segnet' is not one of them/.test(e.message));
  }
  model.dispose();
});

test("the Fisher of an architecture's shared network is the mean of per-example squared gradients (experts, units, trunk)", () => {
  const cases: [string, Extractor, TaskAdapter, [number, number, number]][] = [
    ['mmoe', mlpExtractor([1, 1, D], [3, 2]), mmoe(2), [1, 1, D]],
    ['cross-stitch', mlpExtractor([1, 1, D], [3, 2]), crossStitch(), [1, 1, D]],
    ['mtan', lenetExtractor([16, 16, 1]), mtan(), [16, 16, 1]],
  ];
  for (const [name, base, adapter, shape] of cases) {
    const model = randomModel(base, adapter, 2);
    const n = 3;
    const x = tf.randomUniform([n, ...shape], 0, 1, 'float32', 8) as tf.Tensor4D;
    const y = tf.tensor2d([[0], [1], [1]]);
    const t = 1;
    const tower = model.tower(t);
    const fisher = fisherDiagonal(model.taskExtractor(t), tower, model.heads[t], x, y, { kind: 'multiclass', classes: 2 }, 'true').map(read);
    const sums = tower.map((v) => new Float64Array(v.size));
    for (let i = 0; i < n; i++) {
      const xi = tf.slice(x, [i, 0, 0, 0], [1, ...shape]) as tf.Tensor4D;
      const label = [0, 1, 1][i];
      const grads = tf.grads((...w: tf.Tensor[]) => tf.sum(tf.slice(tf.logSoftmax(model.logitsWith(xi, w, model.heads[t].kernel, model.heads[t].bias, model.adapters[t])), [0, label], [1, 1])) as tf.Scalar)(tower);
      grads.forEach((g, p) => read(g).forEach((v, j) => (sums[p][j] += v * v)));
    }
    sums.forEach((s, p) => assertClose(fisher[p], Array.from(s, (v) => v / n), `${name} ${model.specs[p].name}`, 1e-3));
    model.dispose();
  }
});

test("MTAN on segnet: the per-pixel Fisher of the shared network is the mean over examples of the squared gradient of each one's pixel log-likelihood sum", () => {
  const model = randomModel(makeExtractor('segnet', [8, 8, 1], []), mtan(), 2);
  const n = 2;
  const P = 64;
  const x = tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
  const labels = Array.from({ length: n * P }, (_, q) => (q * 7) % 3 === 0 ? 1 : 0);
  const t = 0;
  const tower = model.tower(t);
  const spec = { kind: 'segmentation' as const, classes: 2, height: 8, width: 8 };
  const fisher = fisherDiagonal(model.taskExtractor(t), tower, model.heads[t], x, tf.tensor2d(labels, [n, P]), spec, 'true').map(read);
  const sums = tower.map((v) => new Float64Array(v.size));
  for (let i = 0; i < n; i++) {
    const xi = tf.slice(x, [i, 0, 0, 0], [1, 8, 8, 1]) as tf.Tensor4D;
    const onehot = tf.oneHot(tf.tensor1d(labels.slice(i * P, (i + 1) * P), 'int32'), 2);
    const grads = tf.grads((...w: tf.Tensor[]) => {
      const logits = tf.reshape(model.logitsWith(xi, w, model.heads[t].kernel, model.heads[t].bias, model.adapters[t]), [P, 2]);
      return tf.sum(tf.mul(tf.logSoftmax(logits), onehot)) as tf.Scalar;
    })(tower);
    grads.forEach((g, p) => read(g).forEach((v, j) => (sums[p][j] += v * v)));
  }
  sums.forEach((s, p) => {
    const scale = Math.max(...Array.from(s, (v) => v / n));
    assert.ok(scale > 0, `${model.specs[p].name}: reference all zeros`);
    fisher[p].forEach((v, j) => assert.ok(Math.abs(v - s[j] / n) <= 1e-3 * scale + 1e-7, `${model.specs[p].name}[${j}]: ${v} vs ${s[j] / n}`));
  });
  model.dispose();
});

test('registry: every architecture is a config choice; hps is the extractor itself; stl and se do not combine', () => {
  assert.deepEqual(ARCHITECTURES.map((a) => a.name), ['hps', 'cross-stitch', 'mmoe', 'cgc', 'ple', 'dselect-k', 'mtan']);
  for (const a of ARCHITECTURES) assert.equal(parseTrainConfig({ architecture: a.name }).architecture, a.name);
  assert.equal(parseTrainConfig({}).architecture, 'hps');
  assert.equal(ARCHITECTURES[0].create(parseTrainConfig({}).architectureOptions), null);
  assert.throws(() => parseTrainConfig({ method: 'stl', architecture: 'mmoe' }), /config\.architecture: stl shares no network/);
  assert.throws(() => parseTrainConfig({ method: 'se', architecture: 'cgc' }), /config\.architecture: se has its own task modules/);
  assert.throws(() => parseTrainConfig({ architecture: 'moe' as never }), /config\.architecture/);
});
