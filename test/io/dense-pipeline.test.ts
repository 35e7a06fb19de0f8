// scenes through the whole pipeline with the segnet extractor, from the command line: train (save) FS,
// predict maps with the checkpoint and with each exported sparse task model (identical), and an
// experiment whose report has the per-pixel columns and the figure of predicted maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { buildScenes } from '../../src/data/scenes.js';
import { parseNpy } from '../../src/data/npy.js';
import { encodeNpy } from '../../src/io/npy-write.js';
import { tempDir } from '../data/helpers.js';

const root = new URL('../..', import.meta.url).pathname;

function fsmtl(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const ok = (r: ReturnType<typeof fsmtl>) => assert.equal(r.code, 0, `exit ${r.code}: ${r.err.slice(-2000)}`);
const small = ['--benchmark', 'scenes', '--image-size', '32', '--train-size', '32', '--test-per-task', '8', '--batch-size', '8'];

test('scenes + segnet: train FS, predict maps; exported sparse task models predict identically', () => {
  const dir = tempDir();
  const ck = join(dir, 'scenes.safetensors');
  const r = fsmtl('train', ...small, '--arch', 'segnet', '--method', 'fs', '--epochs', '2', '--warmup', '1', '--quiet', '--save', ck, '--out', join(dir, 'r.json'));
  ok(r);
  const result = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
  const [seg, depth] = result.perTask;
  assert.deepEqual([seg.kind, depth.kind], ['segmentation', 'depth']);
  // Two epochs of four steps: scores in range, not good ones.
  assert.ok(seg.metrics.miou > 0 && seg.metrics.miou <= 1 && seg.metrics.pixacc > 0 && seg.metrics.pixacc <= 1, JSON.stringify(seg.metrics));
  assert.ok(depth.metrics.abs_err > 0 && depth.metrics.abs_err < 5 && depth.metrics.rel_err > 0, JSON.stringify(depth.metrics));
  assert.match(r.out, /segment\s+\d\.\d{3}\s+\d\.\d{3}/);

  const b = buildScenes({ seed: 0, trainSize: 1, testSize: 3, size: 32 });
  const input = join(dir, 'x.npy');
  writeFileSync(input, encodeNpy(b.tasks[0].test.x, [3, 32, 32, 1]));
  const p = fsmtl('predict', ck, input, '--maps', join(dir, 'all'), '--map-format', 'npy');
  ok(p);
  assert.match(p.out, /Maps written to .*segment \(segment\.npy\), depth \(depth\.npy\)/);
  const classes = parseNpy(readFileSync(join(dir, 'all', 'segment.npy')), 'segment.npy');
  assert.deepEqual(classes.shape, [3, 32, 32]);
  for (const task of ['segment', 'depth']) {
    const out = join(dir, `${task}.safetensors`);
    ok(fsmtl('export', ck, '--task', task, '--out', out));
    ok(fsmtl('predict', out, input, '--maps', join(dir, task), '--map-format', 'npy'));
    const a = parseNpy(readFileSync(join(dir, 'all', `${task}.npy`)), task).data as Float32Array | Int32Array;
    const e = parseNpy(readFileSync(join(dir, task, `${task}.npy`)), task).data as Float32Array | Int32Array;
    assert.equal(e.length, 3 * 32 * 32);
    e.forEach((v, i) => assert.ok(Math.abs(v - a[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])), `${task}[${i}]: exported ${v}, checkpoint ${a[i]}`));
  }
  // A per-example extractor cannot serve per-pixel tasks.
  const bad = fsmtl('train', ...small, '--arch', 'lenet', '--method', 'mtl', '--epochs', '1', '--quiet');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /task 'segment' predicts per pixel \(32×32\) but extractor 'lenet' gives one feature vector per example/);
});

test('scenes experiment: the report shows mIoU, pixel accuracy, abs and rel error with arrows, Δm, and predicted maps', () => {
  const dir = tempDir();
  const cfg = join(dir, 'exp.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      benchmarks: ['scenes'],
      seeds: [0],
      keep: [0.5],
      methods: [{ method: 'stl' }, { method: 'mtl' }, { method: 'fs' }],
      train: { arch: 'segnet', imageSize: 32, trainSize: 24, testPerTask: 8, epochs: 2, batchSize: 8, fs: { warmupEpochs: 1 } },
      output: join(dir, 'runs'),
    }),
  );
  ok(fsmtl('experiment', cfg, '--jobs', '1', '--quiet'));
  const md = readFileSync(join(dir, 'runs', 'report.md'), 'utf8');
  assert.match(md, /segment mIoU ↑ \| segment Pix Acc ↑ \| depth Abs Err ↓ \| depth Rel Err ↓ \| Δm % ↑ \| Avg Rank/);
  assert.match(md, /\| FS \| 0\.5 \| \d/);
  assert.match(md, /!\[scenes: 3 test images \(input, segment, depth\); rows: ground truth, STL, MTL, FS \(p=0\.5\)\]\(figures\/scenes-predictions\.png\)/);
  // per-layer mask density of FS's two tasks, by segnet layer
  assert.match(md, /### scenes: mask density per layer[\s\S]*\| Method \| p \| Task \| enc0 \| enc1 \| enc2 \| mid \| dec2 \| dec1 \| dec0 \|/);
  assert.match(md, /\| FS \| 0\.5 \| segment \|( \d+% \|){7}\n\| FS \| 0\.5 \| depth \|( \d+% \|){7}/);
  const fig = PNG.sync.read(readFileSync(join(dir, 'runs', 'figures', 'scenes-predictions.png')));
  // 4 rows (truth + 3 methods) × 9 panels (3 images × input, segment, depth) of 64 px with 4 px gaps
  assert.deepEqual([fig.height, fig.width], [4 * 64 + 5 * 4, 9 * 64 + 10 * 4]);
  assert.ok(existsSync(join(dir, 'runs', 'models')));
});
