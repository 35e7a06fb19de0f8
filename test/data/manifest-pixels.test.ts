// Per-pixel tasks in a data manifest: segmentation and depth maps from [N, H, W] arrays beside image
// inputs, with missing pixels, class names and units; bad maps named in one line; and a segnet run on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataManifest } from '../../src/data/manifest.js';
import { encodeNpy } from '../../src/io/npy-write.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError, tempDir } from './helpers.js';

const N = 16;
const H = 12;
const W = 10;

/**
 * Images of a bright square on a dark ground; segmentation 0 = ground, 1 = square's left half,
 * 2 = its right half (255 on a border row: unlabelled); depth 2 on the square, 5 elsewhere (0 = unknown
 * on one pixel per image).
 */
function writeData(dir: string): void {
  const rng = new Rng(3);
  const x = new Uint8Array(N * H * W);
  const seg = new Int32Array(N * H * W);
  const depth = new Float32Array(N * H * W);
  for (let i = 0; i < N; i++) {
    const top = 1 + rng.int(H - 6);
    const left = 1 + rng.int(W - 6);
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const q = i * H * W + r * W + c;
        const inside = r >= top && r < top + 5 && c >= left && c < left + 5;
        x[q] = inside ? 220 : 20;
        seg[q] = r === 0 ? 255 : inside ? (c < left + 2 ? 1 : 2) : 0;
        depth[q] = inside ? 2 : 5;
      }
    }
    depth[i * H * W + 7] = 0;
  }
  writeFileSync(join(dir, 'x.npy'), encodeNpy(x, [N, H, W]));
  writeFileSync(join(dir, 'seg.npy'), encodeNpy(seg, [N, H, W]));
  writeFileSync(join(dir, 'depth.npy'), encodeNpy(depth, [N, H, W, 1]));
}

function manifest(dir: string, tasks: unknown[], name = 'maps.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ name: 'squares', inputs: { npy: 'x.npy' }, tasks, split: { test: 0.25, seed: 1 } }));
  return path;
}

const segTask = { name: 'parts', kind: 'segmentation', labels: { npy: 'seg.npy' }, missing: 255, classNames: ['ground', 'left', 'right'] };
const depthTask = { name: 'depth', kind: 'depth', labels: { npy: 'depth.npy' }, missing: 0, unit: 'm' };

test('manifest: segmentation and depth maps from [N, H, W] arrays, missing pixels as NaN, names and units kept', () => {
  const dir = tempDir();
  writeData(dir);
  const b = loadDataManifest(manifest(dir, [segTask, depthTask]));
  assert.equal(b.kind, 'homogeneous');
  assert.deepEqual(b.inputShape, [H, W, 1]);
  const [seg, depth] = b.tasks;
  assert.deepEqual(seg.spec, { kind: 'segmentation', classes: 3, height: H, width: W, classNames: ['ground', 'left', 'right'] });
  assert.deepEqual(depth.spec, { kind: 'depth', height: H, width: W, unit: 'm' });
  assert.equal(seg.train.n + seg.test.n, N);
  assert.equal(seg.train.y.length, seg.train.n * H * W);
  for (const s of [seg.train, seg.test]) {
    for (let i = 0; i < s.n; i++) {
      const map = s.y.subarray(i * H * W, (i + 1) * H * W);
      const img = s.x.subarray(i * H * W, (i + 1) * H * W);
      for (let q = 0; q < H * W; q++) {
        if (q < W) assert.ok(Number.isNaN(map[q]), `row 0 is unlabelled (255), got ${map[q]}`);
        else assert.equal(map[q] > 0, img[q] > 0.5, `pixel ${q}: the class follows the image`);
      }
    }
  }
  // Depth: the unknown pixel is NaN, the others are the file's values.
  assert.ok(Number.isNaN(depth.train.y[7]));
  assert.ok(depth.train.y.every((v, q) => (q % (H * W) === 7 ? Number.isNaN(v) : v === 2 || v === 5)));
  assert.match(b.provenance.join('\n'), /task 'parts' \(segmentation, 3 classes per pixel of 12×10\): labels from seg\.npy, 255 = missing/);
});

test('manifest: per-pixel maps of the wrong shape or classes, or given as a column, are named in one line', () => {
  const dir = tempDir();
  writeData(dir);
  writeFileSync(join(dir, 'flat.npy'), encodeNpy(new Int32Array(N * H), [N, H]));
  writeFileSync(join(dir, 'small.npy'), encodeNpy(new Int32Array(N * 4 * 4), [N, 4, 4]));
  const big = new Int32Array(N * H * W);
  big[2 * H * W + 3 * W + 4] = 7;
  writeFileSync(join(dir, 'big.npy'), encodeNpy(big, [N, H, W]));
  const load = (task: object) => () => loadDataManifest(manifest(dir, [task], 'bad.json'));
  expectFsmtlError(load({ ...segTask, labels: { npy: 'flat.npy' } }), "flat.npy (task 'parts'): labels of shape [16, 12], expected [N, H, W]");
  expectFsmtlError(load({ ...segTask, labels: { npy: 'small.npy' } }), 'small.npy holds 4×4 maps but the inputs', 'are 12×10');
  expectFsmtlError(load({ ...segTask, labels: { npy: 'big.npy' }, classNames: undefined, classes: 3 }), 'big.npy: row 3, pixel (y 4, x 5)', 'class 7 is out of range: the task has 3 classes');
  expectFsmtlError(load({ name: 'parts', kind: 'segmentation', target: 'parts' }), "a segmentation task's labels are an array file of shape [N, H, W]");
  expectFsmtlError(load({ ...depthTask, classes: 3 }), "'classes' applies to multiclass and segmentation tasks, not depth");
});

test('manifest: a segnet run on per-pixel manifest tasks learns the squares', async () => {
  const dir = tempDir();
  writeData(dir);
  const b = loadDataManifest(manifest(dir, [segTask, depthTask]));
  const r = await train(parseTrainConfig({ method: 'mtl', arch: 'segnet', epochs: 12, batchSize: 4, lr: 5e-3, validation: 0, seed: 0 }), b);
  const [seg, depth] = r.perTask;
  // Ground is about 77% of the labelled pixels: predicting only ground gives pixel accuracy 0.77 and mIoU 0.26.
  assert.ok(seg.metrics.pixacc > 0.85, `pixel accuracy ${seg.metrics.pixacc}`);
  assert.ok(seg.metrics.miou > 0.4, `mIoU ${seg.metrics.miou}`);
  // The best constant depth (5, the median) is off by 3 on the square's 23% of pixels: abs err about 0.69.
  assert.ok(depth.metrics.abs_err < 0.45, `abs err ${depth.metrics.abs_err}`);
});
