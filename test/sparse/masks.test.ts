import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepCount, kthSmallest, RADIX_MIN, topKMask } from '../../src/sparse/topk.js';
import { maskFromScores, randomMask } from '../../src/sparse/masks.js';
import { maskStats } from '../../src/sparse/mask-stats.js';
import { paramSpecs } from '../../src/model/layers.js';
import { Rng } from '../../src/util/rng.js';
import { FsmtlError } from '../../src/util/errors.js';

const ones = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

test('topKMask keeps exactly the k largest', () => {
  const m = topKMask(Float32Array.from([0.1, 5, 3, 0.2, 4]), 3);
  assert.deepEqual([...m], [0, 1, 1, 0, 1]);
});

test('topKMask breaks ties at the threshold by lower index', () => {
  const m = topKMask(Float32Array.from([1, 2, 2, 2, 0]), 2);
  assert.deepEqual([...m], [0, 1, 1, 0, 0]);
  const all = topKMask(Float32Array.from([0, 0, 0, 0]), 3);
  assert.deepEqual([...all], [1, 1, 1, 0]);
});

test('topKMask edge cases and bad input', () => {
  assert.equal(ones(topKMask(Float32Array.from([3, 1]), 0)), 0);
  assert.equal(ones(topKMask(Float32Array.from([3, 1]), 2)), 2);
  assert.throws(() => topKMask(Float32Array.from([1, NaN, 2]), 1), FsmtlError);
  assert.throws(() => topKMask(Float32Array.from([1, 2]), 3), /outside/);
});

test('kthSmallest agrees with a sort on random, tied, sorted, reversed and constant arrays', () => {
  const rng = new Rng(7);
  const cases: Float32Array[] = [];
  for (const n of [1, 2, 3, 10, 257, 5000]) {
    const r = Float32Array.from({ length: n }, () => rng.next());
    cases.push(r, Float32Array.from(r, (v) => Math.floor(v * 4)), Float32Array.from(r).sort(), Float32Array.from(r).sort().reverse(), new Float32Array(n).fill(0.5));
    // Organ pipe and many zeros (dead units give exact zero Fisher scores).
    cases.push(Float32Array.from({ length: n }, (_, i) => Math.min(i, n - i)), Float32Array.from(r, (v) => (v < 0.7 ? 0 : v)));
  }
  for (const c of cases) {
    const sorted = Float32Array.from(c).sort();
    for (const k of new Set([0, c.length >> 1, Math.floor(c.length * 0.7), c.length - 1])) {
      assert.equal(kthSmallest(Float32Array.from(c), k), sorted[k], `n = ${c.length}, k = ${k}`);
    }
  }
});

test('topKMask equals the sort-based definition on tied random scores', () => {
  const rng = new Rng(3);
  const scores = Float32Array.from({ length: 3001 }, () => Math.floor(rng.next() * 50) / 50);
  for (const k of [1, 700, 1500, 3000]) {
    const threshold = Float32Array.from(scores).sort()[scores.length - k];
    const m = topKMask(scores, k);
    assert.equal(ones(m), k);
    let ties = k - scores.filter((v) => v > threshold).length;
    scores.forEach((v, i) => {
      const want = v > threshold || (v === threshold && ties-- > 0) ? 1 : 0;
      assert.equal(m[i], want, `k = ${k}, index ${i}`);
    });
  }
});

/** The definition: ones at the k largest scores, ties at the k-th largest to the lower index. */
function sortedTopK(scores: Float32Array, k: number): Uint8Array {
  const threshold = Float32Array.from(scores).sort()[scores.length - k];
  let ties = k - scores.filter((v) => v > threshold).length;
  return Uint8Array.from(scores, (v) => (v > threshold || (v === threshold && ties-- > 0) ? 1 : 0));
}

test('topKMask on long vectors (radix select) equals the sort-based definition', () => {
  const rng = new Rng(11);
  const n = RADIX_MIN + 1234;
  const r = () => Float32Array.from({ length: n }, () => rng.next());
  const cases: [string, Float32Array][] = [
    ['uniform', r()],
    ['heavy-tailed, a quarter exact zeros (Fisher-like)', Float32Array.from(r(), (u) => (u < 0.25 ? 0 : Math.exp(8 * (u - 0.5)) * 1e-6))],
    ['few distinct values (ties)', Float32Array.from(r(), (u) => Math.floor(u * 7) / 7)],
    ['signed, with −0, +0 and infinities', Float32Array.from(r(), (u, i) => (i % 97 === 0 ? -0 : i % 89 === 0 ? 0 : i % 83 === 0 ? Infinity : i % 79 === 0 ? -Infinity : u - 0.5))],
    ['values sharing their high bits', Float32Array.from(r(), (u) => 1 + u * 1e-5)],
    ['constant', new Float32Array(n).fill(0.25)],
  ];
  for (const [name, scores] of cases) {
    const before = Float32Array.from(scores);
    for (const k of [1, 2, Math.round(0.3 * n), n >> 1, n - 1]) {
      const m = topKMask(scores, k);
      assert.equal(ones(m), k, `${name}, k = ${k}`);
      assert.deepEqual(m, sortedTopK(scores, k), `${name}, k = ${k}`);
    }
    assert.deepEqual(scores, before, `${name}: scores unchanged`);
  }
  const withNaN = r();
  withNaN[n - 3] = NaN;
  assert.throws(() => topKMask(withNaN, 5), /NaN/);
  // A view into a larger buffer at an offset.
  const big = r();
  const view = big.subarray(7);
  assert.deepEqual(topKMask(view, 1000), sortedTopK(view, 1000));
});

test('keepCount rounds p·n and keeps at least one', () => {
  assert.equal(keepCount(10, 0.3), 3);
  assert.equal(keepCount(10, 0.01), 1);
  assert.equal(keepCount(10, 1), 10);
});

const specs = paramSpecs([
  { kind: 'dense', name: 'a', inputs: 4, units: 3 },
  { kind: 'dense', name: 'b', inputs: 3, units: 2 },
]); // sizes 12, 3, 6, 2 → 23 parameters

test('global scope: one top-K across every parameter tensor', () => {
  // layer b's kernel has all the large scores
  const scores = specs.map((s, i) => Float32Array.from({ length: s.size }, (_, j) => (i === 2 ? 100 + j : j / 100)));
  const m = maskFromScores(specs, scores, 6 / 23, 'global');
  assert.deepEqual(m.map(ones), [0, 0, 6, 0]);
});

test('layer scope: the keep ratio holds inside every layer', () => {
  const scores = specs.map((s, i) => Float32Array.from({ length: s.size }, (_, j) => (i === 2 ? 100 + j : j / 100)));
  const m = maskFromScores(specs, scores, 0.5, 'layer');
  assert.equal(ones(m[0]) + ones(m[1]), keepCount(15, 0.5));
  assert.equal(ones(m[2]) + ones(m[3]), keepCount(8, 0.5));
});

test('random masks: exact count, seed-determined, different across draws', () => {
  const a = randomMask(specs, 0.3, 'global', new Rng(1));
  const b = randomMask(specs, 0.3, 'global', new Rng(1));
  const rng = new Rng(2);
  const c1 = randomMask(specs, 0.3, 'global', rng);
  const c2 = randomMask(specs, 0.3, 'global', rng);
  assert.equal(a.map(ones).reduce((x, y) => x + y), keepCount(23, 0.3));
  assert.deepEqual(a, b);
  assert.notDeepEqual(c1, c2);
});

test('maskStats: density, overlap, jaccard, union', () => {
  const s = paramSpecs([{ kind: 'dense', name: 'a', inputs: 2, units: 2 }]); // 4 + 2 = 6
  const m1 = [Uint8Array.from([1, 1, 1, 0]), Uint8Array.from([0, 0])];
  const m2 = [Uint8Array.from([0, 1, 1, 1]), Uint8Array.from([0, 1])];
  const st = maskStats(s, [m1, m2]);
  assert.deepEqual(st.density, [3 / 6, 4 / 6]);
  assert.equal(st.overlap[0][1], 2 / 3);
  assert.equal(st.jaccard[0][1], 2 / 5);
  assert.equal(st.union, 5 / 6);
  assert.equal(st.meanOverlap, 2 / 3);
  assert.deepEqual(st.layerDensity, [[3 / 6], [4 / 6]]);
  assert.deepEqual(st.layerNames, ['a']);
  // An architecture's layers keep their whole path (expert, then layer), not only the expert.
  const experts = paramSpecs([{ kind: 'dense', name: 'expert0/dense0', inputs: 2, units: 2 }, { kind: 'dense', name: 'expert0/dense1', inputs: 2, units: 1 }]);
  assert.deepEqual(maskStats(experts, [experts.map((p) => new Uint8Array(p.size).fill(1))]).layerNames, ['expert0/dense0', 'expert0/dense1']);
});

test('random masks overlap ≈ p, as the overlap measure promises', () => {
  const big = paramSpecs([{ kind: 'dense', name: 'a', inputs: 200, units: 100 }]);
  const rng = new Rng(5);
  const st = maskStats(big, [randomMask(big, 0.3, 'global', rng), randomMask(big, 0.3, 'global', rng)]);
  assert.ok(Math.abs(st.overlap[0][1] - 0.3) < 0.03, `overlap ${st.overlap[0][1]}`);
});
