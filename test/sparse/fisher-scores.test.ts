import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMethod } from '../../src/methods/registry.js';
import { paramSpecs } from '../../src/model/layers.js';
import { diversify, keepAt, normalizeByLayer, quantiles, smoothScores } from '../../src/sparse/fisher-scores.js';
import { maskFromScores, type TaskMask } from '../../src/sparse/masks.js';
import { keepCount } from '../../src/sparse/topk.js';
import { parseTrainConfig } from '../../src/train/config.js';

const f32 = (...v: number[]) => Float32Array.from(v);
const ones = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
const specs = paramSpecs([
  { kind: 'dense', name: 'a', inputs: 4, units: 3 },
  { kind: 'dense', name: 'b', inputs: 3, units: 2 },
]); // sizes 12, 3, 6, 2

test('smoothing: β·previous + (1−β)·current; β = 0 or no history gives the current scores', () => {
  const cur = [f32(1, 2)];
  assert.equal(smoothScores(null, cur, 0.5), cur);
  assert.equal(smoothScores([f32(9, 9)], cur, 0), cur);
  assert.deepEqual([...smoothScores([f32(3, 0)], cur, 0.25)[0]], [0.25 * 3 + 0.75 * 1, 0.75 * 2]);
});

test('layer normalisation: every layer has mean 1 afterwards, so a global top-K no longer empties a layer', () => {
  // Layer b's Fisher is 1000× layer a's: a plain global top-K keeps only layer b.
  const scores = specs.map((s) => Float32Array.from({ length: s.size }, (_, j) => (s.layer === 1 ? 1000 : 1) * (1 + j)));
  const n = normalizeByLayer(specs, scores);
  for (const layer of [0, 1]) {
    const idx = specs.map((s, i) => (s.layer === layer ? i : -1)).filter((i) => i >= 0);
    const all = idx.flatMap((i) => [...n[i]]);
    assert.ok(Math.abs(all.reduce((a, b) => a + b, 0) / all.length - 1) < 1e-6);
  }
  const plain = maskFromScores(specs, scores, 8 / 23, 'global');
  assert.equal(ones(plain[0]) + ones(plain[1]), 0);
  const fair = maskFromScores(specs, n, 8 / 23, 'global');
  assert.ok(ones(fair[0]) + ones(fair[1]) > 0);
});

test('quantiles: rank / (n − 1), ties share the lower rank, across tensors', () => {
  assert.deepEqual(quantiles([f32(10, 30), f32(20, 20, 0)]).map((q) => [...q]), [[0.25, 1], [0.5, 0.5, 0]]);
});

test('overlap control: with λ > 0 a task prefers parameters the other tasks do not rank high', () => {
  // Both tasks rank parameter 3 highest; task 0 also likes 2, which task 1 ranks lowest.
  const t0 = [f32(0, 1, 8, 9)];
  const t1 = [f32(2, 1, 0, 9)];
  const plain = diversify([t0, t1], 0).map((s) => maskFromScores([{ name: 'x', shape: [4], size: 4, layer: 0, role: 'bias' }], s, 0.25, 'global'));
  assert.deepEqual([...plain[0][0]], [0, 0, 0, 1]);
  const spread = diversify([t0, t1], 1).map((s) => maskFromScores([{ name: 'x', shape: [4], size: 4, layer: 0, role: 'bias' }], s, 0.25, 'global'));
  assert.deepEqual([...spread[0][0]], [0, 0, 1, 0]);
  assert.deepEqual([...spread[1][0]], [1, 0, 0, 0]);
});

test('unit scope: every output unit keeps round(p·(fan-in + 1)) of its incoming weights and bias', () => {
  const scores = specs.map((s) => Float32Array.from({ length: s.size }, (_, j) => ((j * 7919) % 13) + s.layer));
  const m = maskFromScores(specs, scores, 0.5, 'unit');
  for (const [k, b, units, fanIn] of [[0, 1, 3, 4], [2, 3, 2, 3]]) {
    for (let j = 0; j < units; j++) {
      let kept = m[b][j];
      for (let i = 0; i < fanIn; i++) kept += m[k][i * units + j];
      assert.equal(kept, keepCount(fanIn + 1, 0.5), `layer ${k / 2}, unit ${j}`);
    }
  }
});

test('keep schedule: fixed p, or linear from 1 to p over the anneal epochs', () => {
  assert.equal(keepAt(5, 2, 0.3, 'fixed', 3), 0.3);
  assert.ok(Math.abs(keepAt(2, 2, 0.4, 'anneal', 3) - 0.8) < 1e-12);
  assert.ok(Math.abs(keepAt(3, 2, 0.4, 'anneal', 3) - 0.6) < 1e-12);
  assert.equal(keepAt(4, 2, 0.4, 'anneal', 3), 0.4);
  assert.equal(keepAt(9, 2, 0.4, 'anneal', 3), 0.4);
});

test('FS method: defaults are the literal reading; annealing shrinks the masks each epoch; smoothing remembers', () => {
  const fisher = (t: number, epoch: number) => specs.map((s, i) => Float32Array.from({ length: s.size }, (_, j) => ((j * 31 + i * 7 + t * 5 + epoch * 11) % 17) + 1));
  const run = (fsOptions: object, epochs = 6) => {
    const m = createMethod(parseTrainConfig({ method: 'fs', keep: 0.4, epochs, fs: { warmupEpochs: 1, ...fsOptions } }));
    let state = m.init(2);
    const out: (TaskMask[] | null)[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      state = m.masksFor({ epoch, specs, numTasks: 2, fisher: (t) => fisher(t, epoch) }, state).state;
      out.push(state.masks);
    }
    return out;
  };
  const total = 23;
  const literal = run({});
  assert.equal(literal[0], null);
  assert.deepEqual(literal[3]![1], maskFromScores(specs, fisher(1, 3), 0.4, 'global'));
  const annealed = run({ schedule: 'anneal', annealEpochs: 3 });
  assert.deepEqual(annealed.slice(1).map((m) => m![0].reduce((a, p) => a + ones(p), 0)), [keepCount(total, 0.8), keepCount(total, 0.6), keepCount(total, 0.4), keepCount(total, 0.4), keepCount(total, 0.4)]);
  const smoothedMasks = run({ smoothing: 0.9 });
  assert.notDeepEqual(smoothedMasks[4], literal[4], 'the average differs from the latest estimate');
});
