import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readIdxFile, resolveDataDir } from '../../src/data/index.js';
import { initEngine } from '../../src/engine/setup.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { checkpointNetwork, predict } from '../../src/io/predictor.js';
import { bytesOf, makeIdx, makeNpy, npyHeader, tempDir } from '../data/helpers.js';
import { mkdirSync } from 'node:fs';
import { PNG } from 'pngjs';

const root = new URL('../..', import.meta.url).pathname;

function fsmtl(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertOneLineError(r: ReturnType<typeof fsmtl>, pattern: RegExp) {
  assert.notEqual(r.code, 0, 'exit code must be non-zero');
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.err.slice(0, 2000)}`);
  assert.match(lines[0], /^fsmtl: error: /);
  assert.match(lines[0], pattern);
}

function assertOk(r: ReturnType<typeof fsmtl>) {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.err.slice(-2000)}`);
}

const dir = tempDir();
const ck = join(dir, 'fs.safetensors');
const N = 64;
let pixels: Uint8Array;
let x: Float32Array;
let expected: Record<string, number[]>;

before(async () => {
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ hidden: [32, 32], batchSize: 50, lr: 5e-3, fs: { samples: 64 } }));
  const r = fsmtl('train', '--config', join(dir, 'cfg.json'), '--method', 'fs', '--keep', '0.3', '--train-per-task', '200', '--test-per-task', '100', '--epochs', '2', '--warmup', '1', '--quiet', '--save', ck);
  assertOk(r);
  assert.match(r.out, /Checkpoint \([\d,]+ bytes\) written to .*fs\.safetensors/);
  // Real test images: the first N MNIST test digits.
  const idx = readIdxFile(join(resolveDataDir(), 'mnist', 't10k-images-idx3-ubyte.gz'));
  pixels = idx.data.slice(0, N * 784);
  x = Float32Array.from(pixels, (v) => v / 255);
  await initEngine();
  const c = loadCheckpoint(ck);
  expected = Object.fromEntries(c.tasks.map((task, t) => [task, Array.from(predict(checkpointNetwork(c, t), x, N))]));
});

test('predict: IDX (raw and gzip) and .npy (uint8 [N,H,W], float32 [N,H,W,C]) give the checkpoint\'s predictions', () => {
  const raw = join(dir, 'digits-idx3-ubyte');
  writeFileSync(raw, makeIdx([N, 28, 28], pixels));
  writeFileSync(`${raw}.gz`, gzipSync(makeIdx([N, 28, 28], pixels)));
  writeFileSync(join(dir, 'u8.npy'), makeNpy(npyHeader('|u1', [N, 28, 28]), pixels));
  writeFileSync(join(dir, 'f32.npy'), makeNpy(npyHeader('<f4', [N, 28, 28, 1]), bytesOf(x)));

  const r = fsmtl('predict', ck, raw, '--out', join(dir, 'p.json'));
  assertOk(r);
  assert.match(r.out, /64 images \(28×28×1, idx\)/);
  assert.match(r.out, /index\s+digits\s+kuzushiji\s+fashion/);
  assert.match(r.out, /Summary:\n\s+digits: class counts 0:\d+ 1:\d+/);
  const json = JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8'));
  assert.equal(json.n, N);
  assert.deepEqual(json.predictions, expected);

  for (const input of [`${raw}.gz`, join(dir, 'u8.npy'), join(dir, 'f32.npy')]) {
    const out = join(dir, 'p.csv');
    assertOk(fsmtl('predict', ck, input, '--task', 'fashion', '--out', out));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'index,fashion');
    assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[1])), expected.fashion, input);
  }
});

test('export: a sparse task model, its size, and the same predictions as the checkpoint', () => {
  const tm = join(dir, 'kuzushiji.safetensors');
  const r = fsmtl('export', ck, '--task', 'kuzushiji', '--out', tm);
  assertOk(r);
  assert.match(r.out, /kind\s+sparse: only the [\d,]+ shared parameters its mask keeps \(p = 0\.3\)/);
  const m = /parameters\s+([\d,]+) vs ([\d,]+) in the dense single-task model/.exec(r.out)!;
  const num = (s: string) => Number(s.replace(/,/g, ''));
  assert.equal(num(m[2]), 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10);
  assert.equal(num(m[1]), Math.round(0.3 * (784 * 32 + 32 + 32 * 32 + 32)) + 330);
  const s = /size\s+([\d,]+) bytes vs ([\d,]+) bytes dense F32/.exec(r.out)!;
  assert.equal(num(s[1]), readFileSync(tm).length);
  assert.ok(num(s[1]) < num(s[2]));

  const out = join(dir, 'k.json');
  assertOk(fsmtl('predict', tm, join(dir, 'f32.npy'), '--out', out));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).predictions, { kuzushiji: expected.kuzushiji });
  // Either path gives the same classes, and the header says which one ran.
  for (const path of ['sparse', 'dense']) {
    const o = join(dir, `k-${path}.json`);
    const rp = fsmtl('predict', tm, join(dir, 'f32.npy'), '--path', path, '--out', o);
    assertOk(rp);
    assert.match(rp.out, new RegExp(`\\(task model, sparse; ${path} path\\)`));
    assert.deepEqual(JSON.parse(readFileSync(o, 'utf8')).predictions, { kuzushiji: expected.kuzushiji });
  }
  assertOneLineError(fsmtl('predict', tm, join(dir, 'f32.npy'), '--task', 'digits'), /unknown task 'digits' in .*kuzushiji\.safetensors \(it is the model of task 'kuzushiji'\)/);
});

test('one-line errors: unknown task, bad input shape or values, corrupt model, corrupt PNG', () => {
  assertOneLineError(fsmtl('export', ck, '--task', 'letters', '--out', join(dir, 'x.safetensors')), /unknown task 'letters' in .*fs\.safetensors \(tasks: digits, kuzushiji, fashion\)/);
  assertOneLineError(fsmtl('export', ck, '--out', join(dir, 'x.safetensors')), /choose a task with --task \(tasks in .*: digits, kuzushiji, fashion\)/);
  assertOneLineError(fsmtl('predict', ck, join(dir, 'u8.npy'), '--task', 'letters'), /unknown task 'letters'.*tasks: digits, kuzushiji, fashion/);

  writeFileSync(join(dir, 'big.npy'), makeNpy(npyHeader('|u1', [2, 32, 32]), new Uint8Array(2 * 32 * 32)));
  assertOneLineError(fsmtl('predict', ck, join(dir, 'big.npy')), /big\.npy: images are 32×32×1 \(H×W×C\) but the model expects 28×28×1/);
  writeFileSync(join(dir, 'rgb.npy'), makeNpy(npyHeader('|u1', [2, 28, 28, 3]), new Uint8Array(2 * 28 * 28 * 3)));
  assertOneLineError(fsmtl('predict', ck, join(dir, 'rgb.npy')), /images are 28×28×3 .* expects 28×28×1/);
  writeFileSync(join(dir, 'flat.npy'), makeNpy(npyHeader('|u1', [2, 784]), new Uint8Array(2 * 784)));
  assertOneLineError(fsmtl('predict', ck, join(dir, 'flat.npy')), /expected images of shape \[N, H, W\] or \[N, H, W, C\], got a 2-D uint8 array of shape \[2, 784\]/);
  writeFileSync(join(dir, 'f255.npy'), makeNpy(npyHeader('<f4', [1, 28, 28]), bytesOf(new Float32Array(784).fill(255))));
  assertOneLineError(fsmtl('predict', ck, join(dir, 'f255.npy')), /float images must hold values in \[0, 1\], found 255/);
  writeFileSync(join(dir, 'img.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0]));
  assertOneLineError(fsmtl('predict', ck, join(dir, 'img.png')), /img\.png: not a readable PNG image/);

  const bad = join(dir, 'truncated.safetensors');
  writeFileSync(bad, readFileSync(ck).subarray(0, 1000));
  assertOneLineError(fsmtl('predict', bad, join(dir, 'u8.npy')), /truncated\.safetensors: not a valid safetensors file/);
  assertOneLineError(fsmtl('export', bad, '--task', 'digits', '--out', join(dir, 'y.safetensors')), /truncated\.safetensors/);
  assertOneLineError(fsmtl('predict', join(dir, 'u8.npy'), join(dir, 'u8.npy')), /u8\.npy: not a valid safetensors file/);
});

/** A PNG of one 28×28 image: grey as R = G = B (opaque), or white strokes whose alpha carries the pixel. */
function pngOf(p: Uint8Array, style: 'grey' | 'alpha'): Buffer {
  const png = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 784; i++) {
    const v = p[i];
    png.data.set(style === 'grey' ? [v, v, v, 255] : [255, 255, 255, v], 4 * i);
  }
  return PNG.sync.write(png);
}

test('predict: PNG files and folders give the same predictions as the same images in IDX', () => {
  const folder = join(dir, 'pngs');
  mkdirSync(folder);
  for (let i = 0; i < 8; i++) {
    writeFileSync(join(folder, `img${i}.png`), pngOf(pixels.subarray(i * 784, (i + 1) * 784), i % 2 ? 'alpha' : 'grey'));
  }
  const out = join(dir, 'png.csv');
  const r = fsmtl('predict', ck, folder, '--task', 'digits', '--out', out);
  assertOk(r);
  assert.match(r.out, /8 images \(28×28×1, png\)/);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'index,file,digits');
  assert.equal(lines[1].split(',')[1], 'img0.png');
  assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[2])), expected.digits.slice(0, 8));

  const single = fsmtl('predict', ck, join(folder, 'img3.png'), '--task', 'digits');
  assertOk(single);
  assert.match(single.out, /1 image \(28×28×1, png\)/);

  const odd = new PNG({ width: 20, height: 28 });
  writeFileSync(join(folder, 'z-odd.png'), PNG.sync.write(odd));
  // An image of another size is cropped to the model's aspect ratio and resized, and the output says so.
  const fitted = fsmtl('predict', ck, folder, '--task', 'digits');
  assertOk(fitted);
  assert.match(fitted.out, /9 images \(28×28×1, png, 1 of them centre-cropped and resized to the model's size\)/);
  const empty = join(dir, 'no-pngs');
  mkdirSync(empty);
  assertOneLineError(fsmtl('predict', ck, empty), /no-pngs: the folder holds no \.png or \.jpg images/);
});
