// cityscapes and nyuv2 loaders on small fixtures written here in the MTAN/LibMTL preprocessed layout at
// the real image sizes (3 train + 2 val images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBenchmark } from '../../src/data/index.js';
import { encodeNpy } from '../../src/io/npy-write.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError } from './helpers.js';

interface Fixture {
  dir: string;
  /** Per split: images, labels and depths as written. */
  written: Record<'train' | 'val', { x: Float32Array[]; y: Float32Array[]; d: Float32Array[] }>;
}

function writeFixture(h: number, w: number, classes: number, labelDir: string, depthShape: 'hw' | 'hw1', normals: boolean): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-dense-'));
  const rng = new Rng(3);
  const written = { train: { x: [], y: [], d: [] }, val: { x: [], y: [], d: [] } } as Fixture['written'];
  for (const [split, n] of [['train', 3], ['val', 2]] as const) {
    for (const f of ['image', labelDir, 'depth', ...(normals ? ['normal'] : [])]) mkdirSync(join(dir, split, f), { recursive: true });
    for (let i = 0; i < n; i++) {
      const x = Float32Array.from({ length: h * w * 3 }, () => rng.next());
      // labels: classes with some −1 (ignored); depth: positive with some 0 (invalid)
      const y = Float32Array.from({ length: h * w }, (_, p) => (p % 11 === 0 ? -1 : rng.int(classes)));
      const d = Float32Array.from({ length: h * w }, (_, p) => (p % 13 === 0 ? 0 : 0.5 + 9 * rng.next()));
      writeFileSync(join(dir, split, 'image', `${i}.npy`), encodeNpy(x, [h, w, 3]));
      // MTAN stores labels as floats
      writeFileSync(join(dir, split, labelDir, `${i}.npy`), encodeNpy(y, [h, w]));
      writeFileSync(join(dir, split, 'depth', `${i}.npy`), encodeNpy(d, depthShape === 'hw' ? [h, w] : [h, w, 1]));
      if (normals) writeFileSync(join(dir, split, 'normal', `${i}.npy`), encodeNpy(new Float32Array(h * w * 3), [h, w, 3]));
      written[split].x.push(x);
      written[split].y.push(y);
      written[split].d.push(d);
    }
  }
  return { dir, written };
}

const concat = (a: Float32Array[]) => {
  const out = new Float32Array(a.reduce((k, v) => k + v.length, 0));
  let o = 0;
  for (const v of a) (out.set(v, o), (o += v.length));
  return out;
};

test('cityscapes: the MTAN layout at 128×256, label_7, depth H×W×1; val is the test split', () => {
  const f = writeFixture(128, 256, 7, 'label_7', 'hw1', false);
  try {
    const b = loadBenchmark('cityscapes', { dataDir: f.dir, seed: 0 });
    assert.deepEqual(b.inputShape, [128, 256, 3]);
    assert.equal(b.kind, 'homogeneous');
    const [seg, depth] = b.tasks;
    assert.deepEqual(seg.spec, { kind: 'segmentation', classes: 7, height: 128, width: 256, ignore: -1 });
    assert.deepEqual(depth.spec, { kind: 'depth', height: 128, width: 256, invalid: 0 });
    assert.equal(seg.train.n, 3);
    assert.equal(seg.test.n, 2);
    assert.deepEqual(seg.train.x, concat(f.written.train.x));
    assert.deepEqual(seg.test.y, concat(f.written.val.y));
    assert.deepEqual(depth.train.y, concat(f.written.train.d));
    assert.equal(seg.train.x, depth.train.x);
    // a size limit takes the first images
    const small = loadBenchmark('cityscapes', { dataDir: f.dir, seed: 0, trainSize: 2, testSize: 1 });
    assert.equal(small.tasks[0].train.n, 2);
    assert.deepEqual(small.tasks[1].test.y, f.written.val.d[0]);
    expectFsmtlError(() => loadBenchmark('cityscapes', { dataDir: f.dir, seed: 0, classes: 19 }), /label_19 not found/);
    expectFsmtlError(() => loadBenchmark('cityscapes', { dataDir: f.dir, seed: 0, classes: 8 }), /7 or 19/);
    rmSync(join(f.dir, 'train', 'depth', '1.npy'));
    expectFsmtlError(() => loadBenchmark('cityscapes', { dataDir: f.dir, seed: 0 }), /1\.npy is missing/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('nyuv2: 288×384, 13 classes in label/, depth in metres H×W, normal/ present but not read', () => {
  const f = writeFixture(288, 384, 13, 'label', 'hw', true);
  try {
    const b = loadBenchmark('nyuv2', { dataDir: f.dir, seed: 0 });
    assert.deepEqual(b.inputShape, [288, 384, 3]);
    assert.deepEqual(b.tasks.map((t) => t.name), ['segment', 'depth']);
    assert.equal(b.tasks[0].spec.kind === 'segmentation' && b.tasks[0].spec.classes, 13);
    assert.equal(b.tasks[1].spec.kind === 'depth' && b.tasks[1].spec.unit, 'm');
    assert.deepEqual(b.tasks[1].test.y, concat(f.written.val.d));
    // a wrong shape is named with its file
    writeFileSync(join(f.dir, 'val', 'depth', '1.npy'), encodeNpy(new Float32Array(10), [2, 5]));
    expectFsmtlError(() => loadBenchmark('nyuv2', { dataDir: f.dir, seed: 0 }), /val\/depth\/1\.npy: depth map of shape \(2, 5\), expected \(288, 384\)/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
  expectFsmtlError(() => loadBenchmark('nyuv2', { seed: 0 }), /--data-dir/);
});
