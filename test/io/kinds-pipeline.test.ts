// morpho and the CelebA fixture through the whole pipeline, from the command line: train (save),
// experiment and report, export one task, predict with the checkpoint and with the exported task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdxFile, resolveDataDir } from '../../src/data/index.js';
import { writeCelebAFixture } from '../data/celeba-fixture.js';
import { bytesOf, makeIdx, makeNpy, npyHeader, tempDir } from '../data/helpers.js';
import { Rng } from '../../src/util/rng.js';

const root = new URL('../..', import.meta.url).pathname;

function fsmtl(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const ok = (r: ReturnType<typeof fsmtl>) => assert.equal(r.code, 0, `exit ${r.code}: ${r.err.slice(-2000)}`);

test('morpho: train and save, export the regression task, predict values in the data\'s units with both files', () => {
  const dir = tempDir();
  const ck = join(dir, 'morpho.safetensors');
  const r = fsmtl('train', '--benchmark', 'morpho', '--method', 'fs', '--train-size', '400', '--test-per-task', '100', '--epochs', '3', '--warmup', '1', '--quiet', '--save', ck, '--out', join(dir, 'r.json'));
  ok(r);
  assert.match(r.out, /thickness\s+(\S+\s+){0,4}\d\.\d{3}\s+\d\.\d{3}\s+-?\d\.\d{3}/);
  const result = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
  assert.deepEqual(result.perTask.map((t: { kind: string }) => t.kind), ['multiclass', 'regression', 'regression', 'binary', 'binary']);

  const task = join(dir, 'thickness.safetensors');
  ok(fsmtl('export', ck, '--task', 'thickness', '--out', task));
  const images = join(dir, 'digits-idx3-ubyte');
  const idx = readIdxFile(join(resolveDataDir(), 'mnist', 't10k-images-idx3-ubyte.gz'));
  writeFileSync(images, makeIdx([20, 28, 28], idx.data.slice(0, 20 * 784)));
  const full = fsmtl('predict', ck, images, '--out', join(dir, 'all.json'));
  ok(full);
  assert.match(full.out, /index\s+digit\s+thickness\s+slant\s+thick\/class\s+thick\/probability/);
  assert.match(full.out, /thickness: thickness_px mean \d/);
  const one = fsmtl('predict', task, images, '--out', join(dir, 'one.csv'));
  ok(one);
  const all = JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8')).predictions;
  const csv = readFileSync(join(dir, 'one.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'index,thickness');
  // The exported task predicts what the full model predicts for it, in pixels (MNIST strokes: 1–7 px).
  csv.slice(1).forEach((line, i) => assert.ok(Math.abs(Number(line.split(',')[1]) - all.thickness[i]) < 1e-4, line));
  assert.ok(all.thickness.every((v: number) => v > 0.5 && v < 8), `thickness ${all.thickness}`);
  assert.deepEqual(Object.keys(all.thick), ['class', 'probability']);
});

test('celeba fixture: train from the official layout, experiment and report, export an attribute and predict on RGB images', () => {
  const dir = tempDir();
  const data = join(dir, 'celeba');
  writeCelebAFixture(data, { perSplit: { train: 16, val: 4, test: 4 } });
  const ck = join(dir, 'c.safetensors');
  const common = ['--data-dir', data, '--image-size', '24', '--attributes', 'Smiling,Male,Eyeglasses', '--train-size', '16', '--test-per-task', '4', '--epochs', '2', '--warmup', '1', '--batch-size', '8'];
  const r = fsmtl('train', '--benchmark', 'celeba', '--method', 'fs', '--arch', 'lenet', ...common, '--quiet', '--save', ck);
  ok(r);
  assert.match(r.out, /celeba \(homogeneous; Smiling, Male, Eyeglasses\)/);
  // An experiment over the same fixture, reported.
  const cfg = join(dir, 'exp.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      benchmarks: ['celeba'],
      seeds: [0],
      keep: [0.5],
      methods: [{ method: 'mtl' }, { method: 'fs' }],
      train: { dataDir: data, imageSize: 24, attributes: ['Smiling', 'Male'], trainSize: 16, testPerTask: 4, epochs: 2, batchSize: 8, fs: { warmupEpochs: 1 } },
      output: join(dir, 'runs'),
    }),
  );
  const e = fsmtl('experiment', cfg, '--jobs', '1', '--quiet');
  ok(e);
  assert.ok(existsSync(join(dir, 'runs', 'report.md')));
  assert.match(readFileSync(join(dir, 'runs', 'report.md'), 'utf8'), /## celeba[\s\S]*\| FS \| 0\.5 \|/);

  const task = join(dir, 'smiling.safetensors');
  ok(fsmtl('export', ck, '--task', 'Smiling', '--out', task));
  const rng = new Rng(1);
  const x = Float32Array.from({ length: 3 * 24 * 24 * 3 }, () => rng.next());
  const npy = join(dir, 'faces.npy');
  writeFileSync(npy, makeNpy(npyHeader('<f4', [3, 24, 24, 3]), bytesOf(x)));
  const p = fsmtl('predict', task, npy);
  ok(p);
  assert.match(p.out, /3 images \(24×24×3, npy\)/);
  assert.match(p.out, /Smiling\/class\s+Smiling\/probability/);
  // The fixture's own photos (178×218 JPEG): decoded as RGB, centre-cropped and resized to the model's 24×24.
  const photos = fsmtl('predict', task, join(data, 'img_align_celeba'), '--out', join(dir, 'p.csv'));
  ok(photos);
  assert.match(photos.out, /24 images \(24×24×3, jpeg, 24 of them centre-cropped and resized to the model's size\)/);
  assert.equal(readFileSync(join(dir, 'p.csv'), 'utf8').split('\n')[0], 'index,file,Smiling/class,Smiling/probability');
  const grey = join(dir, 'grey.npy');
  writeFileSync(grey, makeNpy(npyHeader('<f4', [3, 24, 24]), bytesOf(x.subarray(0, 3 * 24 * 24))));
  const bad = fsmtl('predict', task, grey);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /images are 24×24×1 \(H×W×C\) but the model expects 24×24×3/);
});
