// The per-pixel kinds (segmentation, depth): losses and metrics on small hand-computed cases, label
// checks, standardisation, and their batched Fisher against the per-example definition written out in
// closed form (one backward pass per example, pixel and class).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../src/engine/setup.js';
import type { Extractor } from '../../src/model/extractor.js';
import type { ParamLayer } from '../../src/model/layers.js';
import { fisherDiagonal } from '../../src/sparse/fisher.js';
import { laplaceSigns } from '../../src/tasks/depth.js';
import { checkTaskGrid, exactFisherPixels } from '../../src/tasks/pixels.js';
import { taskKind, taskSpecSchema } from '../../src/tasks/registry.js';
import type { DepthSpec, FisherLabel, SegmentationSpec, TaskSpec } from '../../src/tasks/types.js';
import { FsmtlError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const seg: SegmentationSpec = { kind: 'segmentation', classes: 3, height: 2, width: 3, ignore: -1 };
const dep: DepthSpec = { kind: 'depth', height: 1, width: 3, invalid: 0, mean: 2, std: 0.5 };

const lossOf = (spec: TaskSpec, out: number[][], y: number[][]) =>
  tf.tidy(() => {
    const k = taskKind(spec);
    const yEnc = k.encodeLabels(Float32Array.from(y.flat()), spec);
    return k.loss(tf.tensor2d(out), tf.tensor2d(yEnc, [y.length, y[0].length]), spec, false).dataSync()[0];
  });

test('segmentation loss: cross-entropy averaged over the labelled pixels, ignored pixels skipped', async () => {
  await initEngine({ backend: 'cpu' });
  const s: SegmentationSpec = { kind: 'segmentation', classes: 2, height: 1, width: 2, ignore: -1 };
  // pixel 0: logits [0, ln 3] at class 1 → −ln(3/4); pixel 1 ignored (its logits would cost a lot)
  assert.ok(Math.abs(lossOf(s, [[0, Math.log(3), 50, -50]], [[1, -1]]) - Math.log(4 / 3)) < 1e-6);
  // two examples, NaN also skipped: mean of −ln(3/4) and −ln(1/2)
  const two = lossOf(s, [[0, Math.log(3), 0, 0], [9, 9, 0, 0]], [[1, NaN], [NaN, 0]]);
  assert.ok(Math.abs(two - (Math.log(4 / 3) + Math.log(2)) / 2) < 1e-6, `${two}`);
  // an all-ignored batch: loss 0 and zero gradient, not NaN
  const g = tf.grad((o: tf.Tensor) => taskKind(s).loss(o as tf.Tensor2D, tf.tensor2d([[NaN, NaN]]), s, false))(tf.tensor2d([[1, 2, 3, 4]]));
  assert.ok(Array.from(g.dataSync()).every((v) => v === 0));
});

test('segmentation metrics: mIoU and pixel accuracy from one confusion matrix over all batches', () => {
  const k = taskKind(seg);
  // predictions 0 1 1 | 1 0 2 (one-hot logits), labels 0 0 1 | 1 2 ignore
  const pred = [0, 1, 1, 1, 0, 2];
  const out = Float32Array.from(pred.flatMap((c) => [0, 1, 2].map((j) => (j === c ? 4 : 0))));
  const y = Float32Array.from([0, 0, 1, 1, 2, -1]);
  const whole = k.accumulator(seg);
  whole.add(out, y, 1);
  // confusion: (0→0) (0→1) (1→1)×2 (2→0): IoU₀ = 1/(2+2−1), IoU₁ = 2/(2+3−2), IoU₂ = 0/(1+0−0)
  const r = whole.result();
  assert.ok(Math.abs(r.miou - (1 / 3 + 2 / 3 + 0) / 3) < 1e-12, `miou ${r.miou}`);
  assert.ok(Math.abs(r.pixacc - 3 / 5) < 1e-12);
  // not the mean of per-image scores: a second image accumulates into the same matrix
  const two = k.accumulator(seg);
  two.add(out, y, 1);
  two.add(Float32Array.from(Array.from({ length: 6 }, () => [4, 0, 0]).flat()), Float32Array.from([0, 0, 0, 0, 0, 0]), 1);
  // confusion now: (0→0)×7 (0→1) (1→1)×2 (2→0): IoU₀ = 7/(8+8−7), IoU₁ = 2/(2+3−2), IoU₂ = 0
  assert.ok(Math.abs(two.result().miou - (7 / 9 + 2 / 3 + 0) / 3) < 1e-12);
  // a class absent from labels and predictions has no IoU
  const s2: SegmentationSpec = { ...seg, classes: 4 };
  const a = k.accumulator(s2);
  a.add(Float32Array.from(pred.flatMap((c) => [0, 1, 2, 3].map((j) => (j === c ? 4 : 0)))), y, 1);
  assert.ok(Math.abs(a.result().miou - r.miou) < 1e-12);
  assert.ok(Number.isNaN(k.accumulator(seg).result().miou));
  // decode: per example the main class, its share of the pixels, the number of classes; decodeMaps the map
  const d = k.decode(out, 1, seg);
  assert.deepEqual(d.values.map((v) => v[0]), [1, 3 / 6, 3]);
  assert.deepEqual(Array.from(k.decodeMaps!(out, 1, seg).values), pred);
});

test('depth: L1 on standardised valid pixels; absolute and relative error in the data units', async () => {
  await initEngine({ backend: 'cpu' });
  const k = taskKind(dep);
  // labels 1, invalid, 4 → standardised −2, NaN, 4; outputs 0, 9, 3 → L1 (2 + 1) / 2
  assert.ok(Math.abs(lossOf(dep, [[0, 9, 3]], [[1, 0, 4]]) - 1.5) < 1e-6);
  const acc = k.accumulator(dep);
  // outputs 0, 9, 2 → depths 2, 6.5, 3: errors 1 (at 1) and 1 (at 4), the invalid pixel skipped
  acc.add(Float32Array.from([0, 9, 2]), Float32Array.from([1, 0, 4]), 1);
  const m = acc.result();
  assert.ok(Math.abs(m.abs_err - 1) < 1e-6 && Math.abs(m.rel_err - (1 + 0.25) / 2) < 1e-6, JSON.stringify(m));
  // prepare: mean and std of the valid training depths only
  const fitted = k.prepare({ kind: 'depth', height: 1, width: 3, invalid: 0 }, Float32Array.from([1, 0, 3, NaN, 2, 0]), 2);
  assert.ok(fitted.kind === 'depth' && fitted.mean === 2 && Math.abs(fitted.std! - Math.sqrt(2 / 3)) < 1e-12);
  assert.throws(() => k.prepare(dep, Float32Array.from([0, NaN, 0]), 1), FsmtlError);
  const maps = k.decodeMaps!(Float32Array.from([0, 1, -1]), 1, dep);
  assert.deepEqual(Array.from(maps.values), [2, 2.5, 1.5]);
  const rows = k.decode(Float32Array.from([0, 1, -1, 2, 2, 2]), 2, dep);
  assert.deepEqual(rows.columns, ['mean', 'min', 'max']);
  assert.deepEqual(rows.values.map((v) => Array.from(v)), [[2, 3], [1.5, 3], [2.5, 3]]);
});

test('per-pixel label checks name the example and the pixel', () => {
  assert.throws(() => taskKind(seg).checkLabels(Float32Array.from([0, 1, 2, -1, NaN, 0, 0, 0, 0, 0, 3, 0]), 2, seg, "task 's'"), /task 's': label 3 of example 2 at pixel \(row 2, column 2\) is not a class in 0…2/);
  assert.throws(() => taskKind(dep).checkLabels(Float32Array.from([1, -2, 0]), 1, dep, 'd'), /label -2 of example 1 at pixel \(row 1, column 2\) is not a positive depth/);
  taskKind(seg).checkLabels(Float32Array.from([0, 1, 2, -1, NaN, 0]), 1, seg, 's');
  taskKind(dep).checkLabels(Float32Array.from([1, 0, NaN]), 1, dep, 'd');
  assert.ok(taskSpecSchema.safeParse(seg).success && taskSpecSchema.safeParse(dep).success);
  assert.ok(!taskSpecSchema.safeParse({ kind: 'depth', height: 0, width: 3 }).success);
  assert.ok(!taskSpecSchema.safeParse({ kind: 'segmentation', classes: 3, height: 2 }).success);
});

test('the model builder refuses a task grid that is not the extractor grid', () => {
  checkTaskGrid('s', { height: 4, width: 4 }, { height: 4, width: 4 }, 'segnet');
  checkTaskGrid('c', undefined, undefined, 'cnn');
  assert.throws(() => checkTaskGrid('s', { height: 4, width: 4 }, undefined, 'cnn'), /task 's' predicts per pixel \(4×4\) but extractor 'cnn' gives one feature vector per example/);
  assert.throws(() => checkTaskGrid('s', { height: 4, width: 4 }, { height: 8, width: 8 }, 'segnet'), /labels a 4×4 pixel grid but extractor 'segnet' outputs 8×8/);
  assert.throws(() => checkTaskGrid('c', undefined, { height: 8, width: 8 }, 'segnet'), /predicts one value per example/);
});

test('depth: the predicted-label signs are fair, fixed, and differ between examples', () => {
  const s = laplaceSigns(64, 256);
  const mean = s.reduce((a, v) => a + v, 0) / s.length;
  assert.ok(s.every((v) => v === 1 || v === -1) && Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.deepEqual(laplaceSigns(2, 256).subarray(256), s.subarray(256, 512));
  assert.notDeepEqual(s.subarray(0, 256), s.subarray(256, 512));
});

test('exact Fisher pixels: the whole grid when small, else an evenly spread lattice of at most 16', () => {
  assert.deepEqual(exactFisherPixels({ height: 4, width: 4 }), { pixels: Array.from({ length: 16 }, (_, i) => i), scale: 1 });
  const { pixels, scale } = exactFisherPixels({ height: 64, width: 128 });
  assert.ok(pixels.length <= 16 && pixels.length >= 12 && new Set(pixels).size === pixels.length);
  assert.equal(scale, (64 * 128) / pixels.length);
  const rows = new Set(pixels.map((p) => Math.floor(p / 128)));
  const cols = new Set(pixels.map((p) => p % 128));
  assert.ok(rows.size >= 2 && cols.size >= 4, `rows ${[...rows]}, cols ${[...cols]}`);
});

// --- Fisher: a tiny per-pixel network (two 3×3 'same' convs, F features per pixel) ---

const H = 4;
const W = 4;
const F = 3;

function tinyPixelExtractor(): Extractor {
  const layers: ParamLayer[] = [
    { kind: 'conv', name: 'c0', kernelSize: 3, inChannels: 1, filters: 4, stride: 1, padding: 'same' },
    { kind: 'conv', name: 'c1', kernelSize: 3, inChannels: 4, filters: F, stride: 1, padding: 'same' },
  ];
  return {
    arch: 'cnn',
    layers,
    inputShape: [H, W, 1],
    // Features per pixel, flattened NHWC: the head below acts on each pixel alone.
    featureDim: H * W * F,
    preActivationShapes: (n) => [
      [n, H, W, 4],
      [n, H, W, F],
    ],
    forward(x, params, hooks) {
      let a: tf.Tensor4D = x;
      for (let i = 0; i < 2; i++) {
        hooks?.input?.(i, a);
        let z: tf.Tensor = tf.add(tf.conv2d(a, params[2 * i] as tf.Tensor4D, 1, 'same'), params[2 * i + 1]);
        if (hooks?.preActivation) z = hooks.preActivation(i, z);
        a = tf.tanh(z) as tf.Tensor4D;
      }
      return tf.reshape(a, [a.shape[0], -1]) as tf.Tensor2D;
    },
  };
}

/** A per-pixel 1×1 head [F, C] as one block-diagonal matrix [H·W·F, H·W·C] (the same map on flat features). */
function blockHead(k: number[][], b: number[]): { kernel: tf.Tensor; bias: tf.Tensor } {
  const C = b.length;
  const P = H * W;
  const kernel = new Float32Array(P * F * P * C);
  for (let p = 0; p < P; p++) for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) kernel[(p * F + f) * P * C + p * C + c] = k[f][c];
  return { kernel: tf.tensor2d(kernel, [P * F, P * C]), bias: tf.tensor1d(Array.from({ length: P * C }, (_, q) => b[q % C])) };
}

/** Example i's per-pixel log-likelihood terms [objective of its outputs [1, P·C], weight], written out. */
function pixelTerms(spec: TaskSpec, out: Float32Array, y: Float32Array, label: FisherLabel, row: number): [(o: tf.Tensor2D) => tf.Scalar, number][] {
  const P = H * W;
  const terms: [(o: tf.Tensor2D) => tf.Scalar, number][] = [];
  if (spec.kind === 'segmentation') {
    const C = spec.classes;
    // log p(c at pixel p) = o_pc − log Σ_k exp(o_pk)
    const lp = (o: tf.Tensor2D, p: number, c: number) =>
      tf.sub(tf.sum(tf.slice(o, [0, p * C + c], [1, 1])), tf.log(tf.sum(tf.exp(tf.slice(o, [0, p * C], [1, C]))))) as tf.Scalar;
    if (label === 'exact') {
      for (let p = 0; p < P; p++) {
        const row = Array.from(out.subarray(p * C, (p + 1) * C));
        const z = row.reduce((a, v) => a + Math.exp(v), 0);
        row.forEach((v, c) => terms.push([(o) => lp(o, p, c), Math.exp(v) / z]));
      }
      return terms;
    }
    const targets: [number, number][] = [];
    for (let p = 0; p < P; p++) {
      if (label === 'true') {
        if (!Number.isNaN(y[p])) targets.push([p, y[p]]);
      } else {
        const row = Array.from(out.subarray(p * C, (p + 1) * C));
        targets.push([p, row.indexOf(Math.max(...row))]);
      }
    }
    return [[(o) => tf.addN(targets.map(([p, c]) => lp(o, p, c))) as tf.Scalar, 1]];
  }
  // depth, Laplace(y; μ, 1): log p = −|y − μ| − log 2; its exact Fisher is Σ_p (∂μ_p)²; 'predicted' draws
  // one target per pixel, whose score is s_p ∂μ_p with the fixed signs s of example row `row`
  if (label === 'predicted') {
    const signs = laplaceSigns(row + 1, P).subarray(row * P);
    return [[(o) => tf.addN(Array.from(signs, (sp, p) => tf.mul(sp, tf.sum(tf.slice(o, [0, p], [1, 1]))))) as tf.Scalar, 1]];
  }
  if (label === 'true') {
    const valid = Array.from({ length: P }, (_, p) => p).filter((p) => !Number.isNaN(y[p]));
    return [[(o) => tf.addN(valid.map((p) => tf.neg(tf.abs(tf.sub(y[p], tf.sum(tf.slice(o, [0, p], [1, 1]))))))) as tf.Scalar, 1]];
  }
  for (let p = 0; p < P; p++) terms.push([(o) => tf.sum(tf.slice(o, [0, p], [1, 1])) as tf.Scalar, 1]);
  return terms;
}

const fisherSpecs: TaskSpec[] = [
  { kind: 'segmentation', classes: 3, height: H, width: W },
  { kind: 'depth', height: H, width: W, mean: 0, std: 1 },
];
for (const spec of fisherSpecs) {
  for (const label of ['predicted', 'true', 'exact'] as const) {
    for (const grid of [false, true]) {
      // grid: the extractor declares its pixel grid and the head is the per-pixel [F, C] kernel (src/model/head.ts);
      // else the same map as one block-diagonal matrix on the flat features.
      test(`${spec.kind} Fisher, batched = per-example definition summed over pixels (${label}${grid ? ', pixel-grid extractor' : ''})`, async () => {
        await initEngine({ backend: 'cpu' });
        const rng = new Rng(7);
        const n = 3;
        const ex = tinyPixelExtractor();
        const params = [[3, 3, 1, 4], [4], [3, 3, 4, F], [F]].map((s) => tf.tensor(Array.from({ length: s.reduce((a, b) => a * b) }, () => 0.5 * rng.normal()), s));
        const C = taskKind(spec).outputs(spec);
        const k = Array.from({ length: F }, () => Array.from({ length: C }, () => rng.normal()));
        const b = Array.from({ length: C }, () => 0.3 * rng.normal());
        const head = blockHead(k, b);
        const gridEx: Extractor = { ...ex, featureDim: F, pixels: { height: H, width: W } };
        const gridHead = { kernel: tf.tensor2d(k), bias: tf.tensor1d(b) };
        const x = tf.tensor4d(Array.from({ length: n * H * W }, () => rng.next()), [n, H, W, 1]);
        // labels with a few missing pixels ('true' must skip them)
        const y = Float32Array.from({ length: n * H * W }, (_, q) => (q % 7 === 3 ? NaN : spec.kind === 'segmentation' ? rng.int(3) : rng.normal()));
        const batched = (grid ? fisherDiagonal(gridEx, params, gridHead, x, tf.tensor2d(y, [n, H * W]), spec, label) : fisherDiagonal(ex, params, head, x, tf.tensor2d(y, [n, H * W]), spec, label)).map((t) => t.dataSync() as Float32Array);

        const loop = params.map((p) => new Float32Array(p.size));
        for (let i = 0; i < n; i++) {
          const xi = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]);
          const outOf = (ps: tf.Tensor[]) => tf.add(tf.matMul(ex.forward(xi, ps), head.kernel as tf.Tensor2D), head.bias) as tf.Tensor2D;
          const out = outOf(params).dataSync() as Float32Array;
          for (const [objective, w] of pixelTerms(spec, out, y.subarray(i * H * W, (i + 1) * H * W), label, i)) {
            const grads = tf.grads((...ps: tf.Tensor[]) => objective(outOf(ps)))(params);
            grads.forEach((g, p) => {
              const d = g.dataSync();
              for (let j = 0; j < d.length; j++) loop[p][j] += (w * d[j] * d[j]) / n;
            });
            tf.dispose(grads);
          }
        }
        batched.forEach((b, p) => {
          const scale = Math.max(...loop[p].map(Math.abs));
          assert.ok(scale > 0, 'reference all zeros');
          for (let j = 0; j < b.length; j++) assert.ok(Math.abs(b[j] - loop[p][j]) <= 1e-4 * scale + 1e-7, `param ${p}[${j}]: batched ${b[j]} vs loop ${loop[p][j]}`);
        });
      });
    }
  }
}
