// PNG input images: the zlib stream's Adler-32 is checked, and IHDR must describe exactly the image
// data the file holds (a larger IHDR made pngjs read uninitialised memory: zeros, garbage or a filter
// error, varying from call to call).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { imagesFromPng } from '../../src/io/predict-input.js';
import { crc32 } from '../../src/util/crc32.js';
import { expectFsmtlError } from '../data/helpers.js';

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

interface Header {
  w: number;
  h: number;
  depth?: number;
  color?: number;
  interlace?: number;
}

/** A PNG file from IHDR fields, a zlib stream for IDAT, and optional chunks before it (PLTE). */
function pngFile(hd: Header, zlibStream: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, hd.w);
  v.setUint32(4, hd.h);
  ihdr.set([hd.depth ?? 8, hd.color ?? 0, 0, 0, hd.interlace ?? 0], 8);
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10), chunk('IHDR', ihdr), ...extra, chunk('IDAT', zlibStream), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

/** Filtered rows (filter type 0) of a w×h 8-bit grey image with pixel value 10y + x + 1. */
function greyRows(w: number, h: number): Uint8Array {
  const raw = new Uint8Array(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = 10 * y + x + 1;
  return raw;
}

const pixels = (name: string, bytes: Uint8Array) => Array.from(imagesFromPng(bytes, name).x, (v) => Math.round(v * 255));

test('png: the image data must pass their zlib Adler-32 check', () => {
  const z = deflateSync(greyRows(4, 3));
  assert.deepEqual(pixels('ok.png', pngFile({ w: 4, h: 3 }, z)), [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
  const bad = Uint8Array.from(z);
  bad[bad.length - 1] ^= 0x01; // the Adler-32 trailer; the chunk CRC is computed over the changed bytes
  expectFsmtlError(() => imagesFromPng(pngFile({ w: 4, h: 3 }, bad), 'adler.png'), 'adler.png', 'Adler-32');
});

test('png: an IHDR larger (or smaller) than the image data is refused, the same way every time', () => {
  const z = deflateSync(greyRows(4, 3));
  for (const [w, h] of [[4, 40], [4, 400], [6, 3], [4, 2]]) {
    const messages = new Set<string>();
    for (let k = 0; k < 6; k++) {
      messages.add(expectFsmtlError(() => imagesFromPng(pngFile({ w, h }, z), 'big.png'), 'big.png', 'IHDR', `${w}×${h}`));
    }
    assert.equal(messages.size, 1, [...messages].join(' | '));
  }
  // A truncated stream is refused too.
  expectFsmtlError(() => imagesFromPng(pngFile({ w: 4, h: 3 }, z.subarray(0, z.length - 6)), 'cut.png'), 'cut.png');
});

test('png: other layouts still decode: Adam7 interlaced, 1-bit grey, 16-bit RGBA, palette', () => {
  // 3×3 grey, interlaced: pass 1 holds (0,0), pass 4 (2,0), pass 5 (0,2) (2,2), pass 6 (1,0) (1,2),
  // pass 7 row y = 1; passes 2 and 3 are empty at this size. Each pass row starts with filter byte 0.
  const img = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ];
  const passes = [[0, img[0][0]], [0, img[0][2]], [0, img[2][0], img[2][2]], [0, img[0][1]], [0, img[2][1]], [0, ...img[1]]].flat();
  assert.deepEqual(pixels('i.png', pngFile({ w: 3, h: 3, interlace: 1 }, deflateSync(Uint8Array.from(passes)))), img.flat());
  // 1-bit grey 3×2: one byte per row, pixels in the high bits.
  assert.deepEqual(pixels('b.png', pngFile({ w: 3, h: 2, depth: 1 }, deflateSync(Uint8Array.of(0, 0b10100000, 0, 0b01100000)))), [255, 0, 255, 0, 255, 255]);
  // 16-bit RGBA 2×1: opaque white, opaque black.
  const rgba16 = Uint8Array.of(0, ...new Array(8).fill(0xff), 0, 0, 0, 0, 0, 0, 0xff, 0xff);
  assert.deepEqual(pixels('r.png', pngFile({ w: 2, h: 1, depth: 16, color: 6 }, deflateSync(rgba16))), [255, 0]);
  // Palette 2×1: indices 1, 0 of (black, white).
  const plte = chunk('PLTE', Uint8Array.of(0, 0, 0, 255, 255, 255));
  assert.deepEqual(pixels('p.png', pngFile({ w: 2, h: 1, color: 3 }, deflateSync(Uint8Array.of(0, 1, 0)), [plte])), [255, 0]);
});
