import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJpeg, readJpegFile } from '../../src/data/jpeg.js';
import { Rng } from '../../src/util/rng.js';
import { encodeJpeg, expectFsmtlError, smoothImage, tempDir } from './helpers.js';

const W = 37;
const H = 29; // not multiples of 8: partial MCUs at the right and bottom edges
const px = smoothImage(W, H, new Rng(7));
const q100 = encodeJpeg(px, W, H, 100);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('RGB round trip at quality 100: HWC floats in [0, 1] close to the encoded pixels', () => {
  const img = parseJpeg(q100, 'a.jpg');
  assert.deepEqual([img.height, img.width, img.channels], [H, W, 3]);
  assert.equal(img.data.length, H * W * 3);
  for (const v of img.data) assert.ok(v >= 0 && v <= 1);
  const want = Float32Array.from(px, (v) => v / 255);
  assert.ok(maxDiff(img.data, want) < 0.03, `max error ${maxDiff(img.data, want)}`);
  // Channel order and layout: red grows along x, green along y.
  const at = (y: number, x: number, c: number) => img.data[(y * W + x) * 3 + c];
  assert.ok(at(10, W - 1, 0) - at(10, 0, 0) > 0.4);
  assert.ok(at(H - 1, 10, 1) - at(0, 10, 1) > 0.4);
  assert.ok(Math.abs(at(10, W - 1, 1) - at(10, 0, 1)) < 0.05);
});

test('lower quality is further from the original, still recognisable', () => {
  const img = parseJpeg(encodeJpeg(px, W, H, 30), 'b.jpg');
  const want = Float32Array.from(px, (v) => v / 255);
  const err = maxDiff(img.data, want);
  assert.ok(err > maxDiff(parseJpeg(q100, 'a.jpg').data, want));
  assert.ok(err < 0.25);
});

test('grey: the BT.601 luma of the RGB pixels', () => {
  const g = parseJpeg(q100, 'g.jpg', { channels: 1 });
  assert.deepEqual([g.height, g.width, g.channels], [H, W, 1]);
  const luma = new Float32Array(H * W);
  for (let i = 0; i < H * W; i++) luma[i] = (0.299 * px[3 * i] + 0.587 * px[3 * i + 1] + 0.114 * px[3 * i + 2]) / 255;
  assert.ok(maxDiff(g.data, luma) < 0.03);
});

test('corrupt, truncated, empty and non-JPEG bytes are FsmtlErrors naming the file', () => {
  expectFsmtlError(() => parseJpeg(new Uint8Array(0), 'img/empty.jpg'), 'img/empty.jpg', 'empty file');
  expectFsmtlError(() => parseJpeg(new TextEncoder().encode('not a jpeg at all'), 'img/text.jpg'), 'img/text.jpg', 'corrupt or truncated JPEG');
  for (const cut of [2, 100, Math.floor(q100.length / 2), q100.length - 1]) {
    expectFsmtlError(() => parseJpeg(q100.subarray(0, cut), 'img/cut.jpg'), 'img/cut.jpg', 'corrupt or truncated JPEG');
  }
  const garbled = q100.slice();
  for (let i = 700; i < 1400; i++) garbled[i] = (i * 37) & 255;
  expectFsmtlError(() => parseJpeg(garbled, 'img/garbled.jpg'), 'img/garbled.jpg', 'corrupt or truncated JPEG');
});

test('size limits', () => {
  const big = encodeJpeg(smoothImage(200, 100, new Rng(1)), 200, 100, 90);
  expectFsmtlError(() => parseJpeg(big, 'big.jpg', { maxResolutionInMP: 0.01 }), 'big.jpg', 'too large', 'maxResolutionInMP');
  expectFsmtlError(() => parseJpeg(big, 'big.jpg', { maxMemoryUsageInMB: 0.01 }), 'big.jpg', 'too large', 'maxMemoryUsageInMB');
  assert.equal(parseJpeg(big, 'big.jpg', { maxResolutionInMP: 0.02 }).width, 200);
  expectFsmtlError(() => parseJpeg(big, 'big.jpg', { channels: 4 as 3 }), 'big.jpg', 'channels must be 1 or 3');
});

test('readJpegFile reads a file and names the path in errors', () => {
  const dir = tempDir();
  const ok = join(dir, 'ok.jpg');
  writeFileSync(ok, q100);
  assert.deepEqual(readJpegFile(ok).data, parseJpeg(q100, 'x').data);
  const bad = join(dir, 'bad.jpg');
  writeFileSync(bad, q100.subarray(0, 500));
  expectFsmtlError(() => readJpegFile(bad), bad, 'corrupt or truncated JPEG');
  expectFsmtlError(() => readJpegFile(join(dir, 'none.jpg')), join(dir, 'none.jpg'), 'file not found');
});
