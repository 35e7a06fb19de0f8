// The defining math of the gradient-geometry weightings of issue #18: IMTL, GradVac, Aligned-MTL,
// FairGrad, UPGrad (and the small solvers they use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { createWeighting } from '../../src/methods/weighting/registry.js';
import { gram, nonNegativeQp, symmetricEigen, type Gram } from '../../src/methods/weighting/linalg.js';
import { imtlAlpha } from '../../src/methods/weighting/imtl.js';
import { gradvacCoefficients } from '../../src/methods/weighting/gradvac.js';
import { alignedMtlMatrix } from '../../src/methods/weighting/aligned-mtl.js';
import { fairgradSolve } from '../../src/methods/weighting/fairgrad.js';
import { nashSolve } from '../../src/methods/weighting/nash.js';
import { upgradWeights } from '../../src/methods/weighting/upgrad.js';
import { combo, correlatedGrads, ctxOf, dot64, maxAbsDiff } from './helpers.js';

const f32 = (xs: number[]) => Float32Array.from(xs);
const norm64 = (a: ArrayLike<number>) => Math.sqrt(dot64(a, a));

test('symmetricEigen: K V = V Λ, V orthonormal, values descending', () => {
  const K = gram(correlatedGrads(new Rng(3), 5, 40, 0.7));
  const { values, vectors } = symmetricEigen(K);
  for (let k = 0; k < 5; k++) {
    if (k > 0) assert.ok(values[k] <= values[k - 1]);
    for (let i = 0; i < 5; i++) {
      let kv = 0;
      for (let j = 0; j < 5; j++) kv += K[i][j] * vectors[j][k];
      assert.ok(Math.abs(kv - values[k] * vectors[i][k]) < 1e-9 * values[0]);
    }
    for (let l = 0; l < 5; l++) {
      let d = 0;
      for (let i = 0; i < 5; i++) d += vectors[i][k] * vectors[i][l];
      assert.ok(Math.abs(d - (k === l ? 1 : 0)) < 1e-12);
    }
  }
});

test('nonNegativeQp: matches the KKT solution of a 2-D box QP with one active bound', () => {
  // min ½xᵀx + cᵀx, x ≥ 0, c = (−1, 2): x = (1, 0).
  const H: Gram = [Float64Array.from([1, 0]), Float64Array.from([0, 1])];
  const r = nonNegativeQp(H, [-1, 2]);
  assert.ok(r.converged);
  assert.ok(maxAbsDiff(r.x, [1, 0]) < 1e-12);
  // A coupled case: H = [[2, 1], [1, 2]], c = (−1, −4): unconstrained (−2/3, 7/3) is infeasible; x = (0, 2).
  const r2 = nonNegativeQp([Float64Array.from([2, 1]), Float64Array.from([1, 2])], [-1, -4]);
  assert.ok(r2.converged);
  assert.ok(maxAbsDiff(r2.x, [0, 2]) < 1e-12);
});

test('IMTL: the combined gradient has equal projections on every unit task gradient, Σα = 1', () => {
  const grads = correlatedGrads(new Rng(7), 4, 30, 0.6);
  const m = createWeighting('imtl');
  const r = m.combine(grads, ctxOf({ losses: [1, 1, 1, 1] }), m.init(4));
  const proj = grads.map((g) => dot64(r.grad, g) / norm64(g));
  for (const p of proj) assert.ok(Math.abs(p - proj[0]) < 1e-5 * Math.abs(proj[0]), `${proj}`);
  assert.ok(Math.abs(r.weights.reduce((a, b) => a + b, 0) - 1) < 1e-9); // s = 0: e^s = 1
  assert.ok(maxAbsDiff(r.grad, combo(grads, r.weights)) < 1e-5);
  // The closed form of the paper: two gradients a, b give α_b = (a·u_a − a·u_b)/((a − b)·(u_a − u_b)).
  const a = f32([3, 0]);
  const b = f32([1, 1]);
  const K = gram([a, b]);
  const alpha = imtlAlpha(K)!;
  const ua = [1, 0];
  const ub = [1 / Math.SQRT2, 1 / Math.SQRT2];
  const ab = (3 * ua[0] - 3 * ub[0]) / ((3 - 1) * (ua[0] - ub[0]) + (0 - 1) * (ua[1] - ub[1]));
  assert.ok(Math.abs(alpha[1] - ab) < 1e-12 && Math.abs(alpha[0] - (1 - ab)) < 1e-12);
});

test('IMTL-L: the loss scales follow e^s L − s (s falls when L > 1) and scale weights and heads', () => {
  const grads = correlatedGrads(new Rng(8), 2, 10, 0.5);
  const m = createWeighting('imtl');
  const r = m.combine(grads, ctxOf({ losses: [2, 0.5] }), m.init(2));
  const s = (r.state as { logScale: number[] }).logScale;
  assert.ok(Math.abs(s[0] - -0.01 * (2 - 1)) < 1e-15 && Math.abs(s[1] - -0.01 * (0.5 - 1)) < 1e-15);
  const r2 = m.combine(grads, ctxOf({ losses: [2, 0.5] }), r.state);
  assert.ok(maxAbsDiff(r2.headScale, s.map(Math.exp)) < 1e-15);
});

test('GradVac: a pair below its target cosine is moved exactly onto it; the target is an EMA', () => {
  const a = f32([1, 0, 0]);
  const b = f32([-0.5, 1, 0.2]);
  const K = gram([a, b]);
  const target = [[0, 0.3], [0.3, 0]];
  const { C, target: next } = gradvacCoefficients(K, target, 0.5, new Rng(1));
  const cosOf = (c: Float64Array, j: number) => {
    const v = combo([a, b], c);
    const g = [a, b][j];
    return dot64(v, g) / (norm64(v) * norm64(g));
  };
  assert.ok(Math.abs(cosOf(C[0], 1) - 0.3) < 1e-12, `${cosOf(C[0], 1)}`);
  assert.ok(Math.abs(cosOf(C[1], 0) - 0.3) < 1e-12);
  const phi = dot64(a, b) / (norm64(a) * norm64(b));
  assert.ok(Math.abs(next[0][1] - (0.5 * 0.3 + 0.5 * phi)) < 1e-12);
  // Above the target nothing moves, but the target still follows.
  const r = gradvacCoefficients(K, [[0, -0.9], [-0.9, 0]], 0.5, new Rng(1));
  assert.deepEqual(Array.from(r.C[0]), [1, 0]);
  assert.ok(Math.abs(r.target[0][1] - (0.5 * -0.9 + 0.5 * phi)) < 1e-12);
  // Through the weighting: with targets 0 at the first call it is PCGrad's projection (conflicts removed).
  const m = createWeighting('gradvac');
  const out = m.combine([a, b], ctxOf({ losses: [1, 1] }), m.init(2));
  assert.ok(dot64(out.grad, a) >= 0 && dot64(out.grad, b) >= 0);
});

test('Aligned-MTL: the aligned gradients GB have a Gram ∝ identity (σ_min² I), weights = B·1/T', () => {
  const grads = correlatedGrads(new Rng(11), 3, 25, 0.8);
  const K = gram(grads);
  const B = alignedMtlMatrix(K)!;
  const aligned = [0, 1, 2].map((j) => Float32Array.from(combo(grads, B.map((row) => row[j]))));
  const A = gram(aligned);
  const lmin = symmetricEigen(K).values[2];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(A[i][j] - (i === j ? lmin : 0)) < 1e-4 * lmin, `${i},${j}: ${A[i][j]} vs ${lmin}`);
  const m = createWeighting('aligned-mtl');
  const r = m.combine(grads, ctxOf({ losses: [1, 1, 1] }), m.init(3));
  assert.ok(maxAbsDiff(r.weights, B.map((row) => row.reduce((x, y) => x + y, 0) / 3)) < 1e-12);
  // Orthogonal gradients of equal norm are already aligned: the mean.
  const o = [f32([2, 0, 0]), f32([0, 2, 0]), f32([0, 0, 2])];
  const ro = m.combine(o, ctxOf({ losses: [1, 1, 1] }), m.init(3));
  assert.ok(maxAbsDiff(ro.weights, [1 / 3, 1 / 3, 1 / 3]) < 1e-12);
});

test('FairGrad: the weights solve (GᵀG w)_t = w_t^{-1/α}; α = 1 is Nash-MTL', () => {
  const grads = correlatedGrads(new Rng(13), 3, 30, 0.5);
  const K = gram(grads);
  for (const alpha of [0.5, 1, 2, 5]) {
    const r = fairgradSolve(K, alpha);
    assert.ok(r.w, `α = ${alpha}`);
    for (let t = 0; t < 3; t++) {
      let kw = 0;
      for (let s = 0; s < 3; s++) kw += K[t][s] * r.w![s];
      assert.ok(Math.abs(kw * r.w![t] ** (1 / alpha) - 1) < 1e-6, `α = ${alpha}, task ${t}`);
    }
  }
  const nash = nashSolve(K, 50).alpha!;
  const fair = fairgradSolve(K, 1).w!;
  assert.ok(maxAbsDiff(nash, fair) < 1e-6 * Math.max(...nash));
  // Through the weighting: normalised to Σ = 1; a larger α moves weight toward the task with the smaller gradient.
  const small = [f32([0.2, 0]), f32([0, 2])];
  const w1 = createWeighting('fairgrad', { fairgradAlpha: 1 }).combine(small, ctxOf({ losses: [1, 1] }), null).weights;
  const w5 = createWeighting('fairgrad', { fairgradAlpha: 5 }).combine(small, ctxOf({ losses: [1, 1] }), null).weights;
  assert.ok(Math.abs(w1[0] + w1[1] - 1) < 1e-12);
  // Orthogonal: w_t^{1+1/α} = 1/K_tt, so w_0/w_1 = (K_11/K_00)^{α/(α+1)}.
  assert.ok(Math.abs(w1[0] / w1[1] - 100 ** 0.5) < 1e-5 && Math.abs(w5[0] / w5[1] - 100 ** (5 / 6)) < 1e-4);
});

test('UPGrad: no conflict with any task; the mean when no two gradients conflict', () => {
  const m = createWeighting('upgrad', { upgradRegEps: 0 });
  const rng = new Rng(17);
  for (let trial = 0; trial < 20; trial++) {
    const grads = correlatedGrads(rng, 4, 12, 0.3);
    const r = m.combine(grads, ctxOf({ losses: [1, 1, 1, 1] }), null);
    assert.equal(r.solverFailures, 0);
    const scale = Math.max(...grads.map((g) => dot64(g, g)));
    for (const g of grads) assert.ok(dot64(r.grad, g) >= -1e-6 * scale, `trial ${trial}: ${dot64(r.grad, g)}`);
    assert.ok(r.weights.every((w) => w >= 1 / 4 - 1e-12)); // v_i ≥ e_i/T
  }
  const agree = [f32([1, 0.2, 0]), f32([0.5, 1, 0.1]), f32([0.2, 0.3, 2])];
  const r = createWeighting('upgrad').combine(agree, ctxOf({ losses: [1, 1, 1] }), null);
  assert.ok(maxAbsDiff(r.weights, [1 / 3, 1 / 3, 1 / 3]) < 1e-12);
  // Two exactly opposed directions with the ridge: the projection of each removes the conflict (up to the ridge).
  const opp = [f32([1, 1]), f32([-1, 0.2])];
  const ro = createWeighting('upgrad').combine(opp, ctxOf({ losses: [1, 1] }), null);
  for (const g of opp) assert.ok(dot64(ro.grad, g) >= -1e-3 * dot64(g, g));
  const w = upgradWeights(gram(opp), 0, 0).weights;
  assert.ok(Math.abs(dot64(combo(opp, w), opp[1])) < 1e-9 || dot64(combo(opp, w), opp[1]) > 0);
});
