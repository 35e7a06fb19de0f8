// The scenes benchmark: shapes, labels consistent with the rendering, occlusion, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBenchmark } from '../../src/data/index.js';
import { glyphClass, renderScene, SCENE_CLASSES, Z_BACKGROUND, Z_FAR, Z_NEAR, type Glyph } from '../../src/data/scenes.js';
import type { ImageSet } from '../../src/data/sources.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError, SHARED } from './helpers.js';

const a = loadBenchmark('scenes', { dataDir: SHARED, seed: 0, trainSize: 40, testSize: 10 });

test('scenes: two per-pixel tasks on the same grey images', () => {
  assert.deepEqual(a.inputShape, [64, 64, 1]);
  assert.equal(a.kind, 'homogeneous');
  const [seg, depth] = a.tasks;
  assert.deepEqual(seg.spec, { kind: 'segmentation', classes: 21, height: 64, width: 64, classNames: SCENE_CLASSES });
  assert.equal(depth.spec.kind, 'depth');
  assert.equal(seg.train.x, depth.train.x);
  assert.equal(seg.train.y.length, 40 * 64 * 64);
  for (const v of seg.test.x) assert.ok(v >= 0 && v <= 1);
  // background ⇔ far plane; glyph pixels at a glyph depth
  for (const split of ['train', 'test'] as const) {
    const y = seg[split].y;
    const d = depth[split].y;
    for (let p = 0; p < y.length; p++) {
      assert.ok(Number.isInteger(y[p]) && y[p] >= 0 && y[p] < 21);
      if (y[p] === 0) assert.equal(d[p], Z_BACKGROUND);
      else assert.ok(d[p] >= Z_NEAR && d[p] <= Z_FAR, `depth ${d[p]}`);
    }
  }
  // both sources appear: digits (1–10) and fashion classes (11–20)
  const seen = new Set(seg.train.y);
  assert.ok([...seen].some((c) => c >= 1 && c <= 10) && [...seen].some((c) => c >= 11));
});

test('deterministic from the data seed, independent of the run seed', () => {
  const b = loadBenchmark('scenes', { dataDir: SHARED, seed: 7, trainSize: 40, testSize: 10 });
  assert.deepEqual(b.tasks[0].train.x, a.tasks[0].train.x);
  assert.deepEqual(b.tasks[1].test.y, a.tasks[1].test.y);
  const c = loadBenchmark('scenes', { dataDir: SHARED, seed: 0, trainSize: 40, testSize: 10, dataSeed: 1 });
  assert.notDeepEqual(c.tasks[0].train.y, a.tasks[0].train.y);
  const s = loadBenchmark('scenes', { dataDir: SHARED, seed: 0, trainSize: 5, testSize: 5, size: 96 });
  assert.deepEqual(s.inputShape, [96, 96, 1]);
  expectFsmtlError(() => loadBenchmark('scenes', { dataDir: SHARED, seed: 0, size: 16 }), /between 32 and 256/);
});

test('occlusion: the nearer glyph owns the pixels where glyphs overlap', () => {
  // two 28×28 sources: a full white square (class 3 of MNIST) and another (class 5 of Fashion-MNIST)
  const solid = (label: number): ImageSet => ({ images: new Uint8Array(784).fill(255), labels: Int32Array.of(label), n: 1, height: 28, width: 28, imagesFile: '', labelsFile: '' });
  const far: Glyph = { source: 0, index: 0, z: 3, side: 20, y0: 0, x0: 0 };
  const near: Glyph = { source: 1, index: 0, z: 1.5, side: 20, y0: 10, x0: 10 };
  const S = 32;
  const x = new Float32Array(S * S);
  const seg = new Float32Array(S * S);
  const dep = new Float32Array(S * S);
  renderScene([far, near], [solid(3), solid(5)], S, new Rng(0), x, seg, dep, 0);
  const at = (r: number, c: number) => [seg[r * S + c], dep[r * S + c]];
  assert.deepEqual(at(5, 5), [glyphClass(0, 3), 3]);
  assert.deepEqual(at(15, 15), [glyphClass(1, 5), 1.5]); // overlap: the near one
  assert.deepEqual(at(25, 25), [glyphClass(1, 5), 1.5]);
  assert.deepEqual(at(2, 28), [0, Z_BACKGROUND]);
  // nearer is brighter
  assert.ok(x[15 * S + 15] > x[5 * S + 5] && x[5 * S + 5] > x[2 * S + 28]);
  assert.equal(SCENE_CLASSES[glyphClass(1, 5)], 'Sandal');
  assert.equal(SCENE_CLASSES[glyphClass(0, 3)], 'digit 3');
});
