import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centerCrop, centerSquare, resizeBilinear, resizeImage, type FloatImage } from '../../src/data/image.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError } from './helpers.js';

/** An image whose values encode their own position: y * 1000 + x * 10 + c. */
function coded(height: number, width: number, channels: number): FloatImage {
  const data = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = y * 1000 + x * 10 + c;
  return { height, width, channels, data };
}

function channel(img: FloatImage, c: number): Float32Array {
  return Float32Array.from({ length: img.height * img.width }, (_, i) => img.data[i * img.channels + c]);
}

test('centre crop of an aligned CelebA image keeps rows 20 to 197', () => {
  const img = coded(218, 178, 3);
  const sq = centerSquare(img);
  assert.deepEqual([sq.height, sq.width, sq.channels], [178, 178, 3]);
  assert.equal(sq.data[0], 20 * 1000);
  assert.equal(sq.data[(177 * 178 + 177) * 3 + 2], 197 * 1000 + 177 * 10 + 2);
  const c = centerCrop(coded(7, 9, 2), 4, 4);
  // Odd margins (3 rows, 5 columns) leave the extra one at the bottom/right.
  assert.equal(c.data[0], 1 * 1000 + 2 * 10);
  assert.equal(c.data[(3 * 4 + 3) * 2 + 1], 4 * 1000 + 5 * 10 + 1);
  assert.deepEqual(centerCrop(img, 218, 178).data, img.data);
  expectFsmtlError(() => centerCrop(img, 219, 10), 'cannot crop 219×10 from a 218×178 image');
  expectFsmtlError(() => centerCrop(img, 0, 10), 'centerCrop', 'positive integers');
});

test('multi-channel resize is the single-channel resize of each channel', () => {
  const rng = new Rng(3);
  const img: FloatImage = { height: 23, width: 17, channels: 3, data: Float32Array.from({ length: 23 * 17 * 3 }, () => rng.next()) };
  for (const [h, w] of [[8, 8], [40, 9], [23, 17]]) {
    for (const antialias of [false, true]) {
      const out = resizeImage(img, h, w, antialias);
      assert.deepEqual([out.height, out.width, out.channels], [h, w, 3]);
      for (let c = 0; c < 3; c++) {
        const one = new Float32Array(h * w);
        resizeBilinear(channel(img, c), 23, 17, one, 0, h, w, 1, { antialias });
        assert.deepEqual(channel(out, c), one, `channel ${c}, ${h}×${w}, antialias ${antialias}`);
      }
    }
  }
  // Same size is the identity, with or without antialiasing.
  assert.deepEqual(resizeImage(img, 23, 17).data, img.data);
});

test('antialiasing: shrinking averages every pixel, enlarging is plain bilinear', () => {
  // A 1-pixel checkerboard shrunk 3×: plain bilinear samples single pixels (0 or 1), the antialiased
  // resize mixes 5 pixels with triangle weights (4/9 or 5/9).
  const n = 30;
  const board = Float32Array.from({ length: n * n }, (_, i) => ((i % n) + Math.floor(i / n)) % 2);
  const plain = new Float32Array(100);
  const smooth = new Float32Array(100);
  resizeBilinear(board, n, n, plain, 0, 10, 10);
  resizeBilinear(board, n, n, smooth, 0, 10, 10, 1, { antialias: true });
  for (const v of plain) assert.ok(v === 0 || v === 1);
  for (let y = 1; y < 9; y++) for (let x = 1; x < 9; x++) assert.ok(Math.abs(smooth[y * 10 + x] - 0.5) < 0.07, `${smooth[y * 10 + x]}`);
  // Constants stay constant (the weights are normalised, also at the borders).
  const flat = new Float32Array(n * n).fill(0.25);
  const f = new Float32Array(49);
  resizeBilinear(flat, n, n, f, 0, 7, 7, 1, { antialias: true });
  for (const v of f) assert.ok(Math.abs(v - 0.25) < 1e-6);
  // Enlarging: identical with and without.
  const src = Float32Array.of(0, 4, 1, 3, 2, 2);
  const a = new Float32Array(35);
  const b = new Float32Array(35);
  resizeBilinear(src, 2, 3, a, 0, 5, 7);
  resizeBilinear(src, 2, 3, b, 0, 5, 7, 1, { antialias: true });
  assert.deepEqual(a, b);
});

test('resize writes at the offset, with the scale factor', () => {
  const dst = new Float32Array(2 + 4 * 3).fill(-1);
  resizeBilinear(Float32Array.of(10, 20, 30, 40, 50, 60), 1, 2, dst, 2, 2, 2, 0.1, { channels: 3 });
  assert.deepEqual([dst[0], dst[1]], [-1, -1]);
  assert.deepEqual(Array.from(dst.subarray(2), (v) => Math.round(v * 1000) / 1000), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
});
