// The defining math of the loss-based and stateful weightings of issue #18: FAMO, DB-MTL, STCH,
// GradDrop, MoCo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { famoUpdate, type FamoState } from '../../src/methods/weighting/famo.js';
import { stchWeights, type StchState } from '../../src/methods/weighting/stch.js';
import { graddrop } from '../../src/methods/weighting/graddrop.js';
import type { MocoState } from '../../src/methods/weighting/moco.js';
import type { DbMtlState } from '../../src/methods/weighting/db-mtl.js';
import { combo, correlatedGrads, ctxOf, dot64, maxAbsDiff } from './helpers.js';

const f32 = (xs: number[]) => Float32Array.from(xs);
const norm64 = (a: ArrayLike<number>) => Math.sqrt(dot64(a, a));

test('FAMO: weights z_t/(L_t c), and the logit update matches a hand-computed Adam step', () => {
  const m = createWeighting('famo');
  const grads = [f32([1, 0]), f32([0, 1])];
  const s0 = m.init(2) as FamoState;
  // First call: no previous losses, z uniform, w ∝ 1/L: w = (1/1)/(1/1 + 1/3) = 0.75.
  const r1 = m.combine(grads, ctxOf({ losses: [1, 3] }), s0);
  assert.ok(maxAbsDiff(r1.weights, [0.75, 0.25]) < 1e-7);
  assert.ok(maxAbsDiff(r1.headScale, [1.5, 0.5]) < 1e-7);
  assert.deepEqual((r1.state as FamoState).logits, [0, 0]);
  // Second call: δ = log(prev) − log(now) = (log 2, log 1.5) for losses 1 → 0.5, 3 → 2.
  const r2 = m.combine(grads, ctxOf({ losses: [0.5, 2] }), r1.state);
  const d = [Math.log(1 / 0.5), Math.log(3 / 2)];
  const z = [0.5, 0.5];
  const zd = 0.5 * d[0] + 0.5 * d[1];
  const g = [z[0] * (d[0] - zd), z[1] * (d[1] - zd)]; // γ·ξ = 0 at ξ = 0
  // Adam's first step: m̂ = g, v̂ = g², ξ = −lr·g/(|g| + 1e-8).
  const expected = g.map((x) => -0.025 * x / (Math.abs(x) + 1e-8));
  const st = r2.state as FamoState;
  assert.ok(maxAbsDiff(st.logits, expected) < 1e-12, `${st.logits} vs ${expected}`);
  assert.ok(st.logits[0] < 0 && st.logits[1] > 0, 'the task whose loss fell faster loses weight');
  const ez = [Math.exp(expected[0]), Math.exp(expected[1])];
  const zz = ez.map((e) => e / (ez[0] + ez[1]));
  const c = zz[0] / 0.5 + zz[1] / 2;
  assert.ok(maxAbsDiff(r2.weights, [zz[0] / 0.5 / c, zz[1] / 2 / c]) < 1e-7);
  // The update alone, with weight decay: the gradient gains γξ.
  const s: FamoState = { logits: [0.2, -0.2], m: [0, 0], v: [0, 0], adamSteps: 0, prevLosses: [1, 1] };
  const u = famoUpdate(s, [1, 1], 0.1, 0.5); // δ = 0: the gradient is γξ = (0.1, −0.1)
  assert.ok(maxAbsDiff(u.logits, [0.2 - 0.1, -0.2 + 0.1]) < 1e-6);
});

test('DB-MTL: log-loss gradients, EMA, all scaled to the largest norm', () => {
  const m = createWeighting('db-mtl');
  const a = f32([3, 0]);
  const b = f32([0, 1]);
  const r1 = m.combine([a, b], ctxOf({ losses: [1, 2] }), m.init(2));
  // ĝ = (3, 0)/1 and (0, 1)/2; norms 3 and 0.5; α = (1, 6); grad = (1/2)(ĝ_a + 6 ĝ_b) = (1.5, 1.5).
  assert.ok(maxAbsDiff(r1.grad, [1.5, 1.5]) < 1e-6);
  assert.ok(maxAbsDiff(r1.weights, [0.5, 3]) < 1e-6);
  assert.ok(maxAbsDiff(r1.headScale, [1, 0.5]) < 1e-7);
  // Second call: m ← ĝ + 0.9 (m − ĝ), with ĝ = (0, 2)/1 and (1, 0)/1.
  const r2 = m.combine([f32([0, 2]), f32([1, 0])], ctxOf({ losses: [1, 1] }), r1.state);
  const buf = (r2.state as DbMtlState).buffers!;
  const ma = [0 + 0.9 * (3 - 0), 2 + 0.9 * (0 - 2)];
  const mb = [1 + 0.9 * (0 - 1), 0 + 0.9 * (0.5 - 0)];
  assert.ok(maxAbsDiff(buf[0], ma) < 1e-6 && maxAbsDiff(buf[1], mb) < 1e-6);
  const top = Math.max(norm64(ma), norm64(mb));
  const expected = ma.map((x, i) => (top / norm64(ma) * x + top / norm64(mb) * mb[i]) / 2);
  assert.ok(maxAbsDiff(r2.grad, expected) < 1e-6);
  // Every tracked gradient enters with the same norm.
  assert.ok(Math.abs(norm64(ma) * r2.weights[0] - norm64(mb) * r2.weights[1]) < 1e-6);
});

test('STCH: log-loss warm-up, the nadir point from the warm-up epoch, then softmax(log(L/nadir)/μ)', () => {
  const m = createWeighting('stch', { stchWarmupEpochs: 1, stchMu: 0.5 });
  const grads = [f32([1, 0]), f32([0, 1])];
  let state = m.init(2) as StchState;
  // Epoch 0: Σ log L_t, weights 1/(T L_t).
  let r = m.combine(grads, ctxOf({ losses: [2, 4], epoch: 0 }), state);
  assert.ok(maxAbsDiff(r.weights, [0.25, 0.125]) < 1e-12);
  state = r.state as StchState;
  assert.equal(state.count, 0);
  // Epoch 1 (= warm-up epochs): still log losses; the losses are averaged into the nadir point.
  for (const losses of [[1, 4], [3, 2]]) {
    r = m.combine(grads, ctxOf({ losses, epoch: 1 }), state);
    state = r.state as StchState;
  }
  assert.equal(state.count, 2);
  // Epoch 2: nadir = (2, 3); weights (T s_t / L_t)/T.
  r = m.combine(grads, ctxOf({ losses: [1, 6], epoch: 2 }), state);
  assert.deepEqual((r.state as StchState).nadir, [2, 3]);
  const l = [Math.log(1 / 2), Math.log(6 / 3)];
  const e = l.map((v) => Math.exp(v / 0.5));
  const s = e.map((v) => v / (e[0] + e[1]));
  assert.ok(maxAbsDiff(stchWeights([1, 6], [2, 3], 0.5), s) < 1e-12);
  assert.ok(maxAbsDiff(r.weights, [s[0] / 1, s[1] / 6]) < 1e-9);
  assert.ok(maxAbsDiff(r.headScale, [2 * s[0], (2 * s[1]) / 6]) < 1e-9);
  assert.ok(maxAbsDiff(r.grad, combo(grads, r.weights)) < 1e-7);
  // Smaller μ puts more weight on the worst (normalised) task: the smooth maximum sharpens.
  const sharp = stchWeights([1, 6], [2, 3], 0.05);
  assert.ok(sharp[1] > s[1] && sharp[1] > 0.999);
});

test('GradDrop: per coordinate, the sign survives with probability = its purity (seeded draw)', () => {
  // Coordinates: 0 all positive (purity 1), 1 all negative (0), 2 mixed with purity 0.75, 3 mixed 0.25.
  const g1 = f32([1, -2, 3, -3]);
  const g2 = f32([2, -1, -1, 1]);
  const seed = 5;
  const r = graddrop([g1, g2], 0, new Rng(seed));
  const u = new Rng(seed);
  const draws = [u.next(), u.next(), u.next(), u.next()];
  const purity = [1, 0, 0.5 * (1 + 2 / 4), 0.5 * (1 - 2 / 4)];
  const expected = [0, 1, 2, 3].map((i) => {
    let s = 0;
    for (const g of [g1, g2]) if ((purity[i] > draws[i] && g[i] > 0) || (purity[i] < draws[i] && g[i] < 0)) s += g[i];
    return s / 2;
  });
  assert.ok(maxAbsDiff(r.grad, expected) < 1e-7, `${r.grad} vs ${expected}`);
  assert.equal(r.grad[0], 1.5);
  assert.equal(r.grad[1], -1.5);
  // Frequencies over many draws: coordinate 2 keeps its positive part ≈ 75% of the time.
  const rng = new Rng(9);
  let pos = 0;
  const N = 4000;
  for (let k = 0; k < N; k++) if (graddrop([g1, g2], 0, rng).grad[2] > 0) pos++;
  assert.ok(Math.abs(pos / N - 0.75) < 0.03, `${pos / N}`);
  // The leak keeps a share of the dropped sign.
  const leaky = graddrop([g1, g2], 0.5, new Rng(seed));
  assert.ok(maxAbsDiff(leaky.grad, expected.map((x, i) => (x + (g1[i] + g2[i]) / 2) / 2)) < 1e-7);
  // Weights report the L1 share of each task's gradient kept, over T.
  const m = createWeighting('graddrop');
  const w = m.combine([g1, g2], ctxOf({ losses: [1, 1] }, seed), null).weights;
  assert.ok(w.every((x) => x >= 0 && x <= 0.5));
});

test('MoCo: tracking y ← y − β_k (y − g), λ by a projected step on the simplex, grad = Σ λ y', () => {
  const m = createWeighting('moco');
  const a = f32([2, 0]);
  const b = f32([0, 1]);
  const r1 = m.combine([a, b], ctxOf({ losses: [1, 1] }), m.init(2));
  const s1 = r1.state as MocoState;
  assert.ok(maxAbsDiff(s1.y![0], a) < 1e-7 && maxAbsDiff(s1.y![1], b) < 1e-7);
  // λ ← Π(λ − γ (YYᵀ/s) λ): YYᵀ = diag(4, 1), s = 2.5; λ = (.5, .5) − 0.1 (0.8, 0.2) = (.42, .48) (on the simplex after a shift).
  const step = [0.5 - 0.1 * 0.8, 0.5 - 0.1 * 0.2];
  const shift = (step[0] + step[1] - 1) / 2;
  const lam = [step[0] - shift, step[1] - shift];
  assert.ok(maxAbsDiff(s1.lambda, lam) < 1e-12, `${s1.lambda}`);
  assert.ok(maxAbsDiff(r1.grad, [2 * lam[0], lam[1]]) < 1e-6);
  // Call 2: β_2 = 0.5/√2.
  const c = f32([0, 0]);
  const r2 = m.combine([c, c], ctxOf({ losses: [1, 1] }), r1.state);
  const beta2 = 0.5 / Math.SQRT2;
  const y = (r2.state as MocoState).y!;
  assert.ok(maxAbsDiff(y[0], [2 * (1 - beta2), 0]) < 1e-6 && maxAbsDiff(y[1], [0, 1 - beta2]) < 1e-6);
  // The smaller tracked gradient gains weight (the min-norm direction of MGDA).
  assert.ok((r2.state as MocoState).lambda[1] > lam[1]);
});
