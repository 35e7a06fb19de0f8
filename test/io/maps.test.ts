// Per-pixel prediction files: indexed PNGs of class indices, 16-bit PNGs of depth, .npy, read back with
// pngjs and the .npy reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { parseNpy } from '../../src/data/npy.js';
import { classPalette, DEPTH_PNG_SCALE, mapFiles } from '../../src/io/maps.js';
import type { PixelMaps } from '../../src/tasks/types.js';

const classes: PixelMaps = { type: 'classes', height: 2, width: 3, classes: 4, values: Float32Array.from([0, 1, 2, 3, 3, 0, 2, 2, 1, 1, 0, 0]) };
const depths: PixelMaps = { type: 'values', height: 2, width: 3, unit: 'm', values: Float32Array.from([1.5, 0.001, 70, 2, NaN, 3.25, 0, 1, 2, 3, 4, 5]) };

test('segmentation maps: one palette PNG per input whose colours are the classes', () => {
  const files = mapFiles('seg', classes, 2, 'png');
  assert.deepEqual(files.map((f) => f.name), ['seg/0.png', 'seg/1.png']);
  const pal = classPalette();
  files.forEach((f, i) => {
    const png = PNG.sync.read(Buffer.from(f.bytes));
    assert.equal(png.width, 3);
    assert.equal(png.height, 2);
    for (let p = 0; p < 6; p++) {
      const k = classes.values[i * 6 + p];
      assert.deepEqual(Array.from(png.data.subarray(4 * p, 4 * p + 3)), Array.from(pal.subarray(3 * k, 3 * k + 3)), `image ${i} pixel ${p}`);
    }
  });
  // distinct classes get distinct colours
  const colours = new Set(Array.from({ length: 21 }, (_, k) => pal.subarray(3 * k, 3 * k + 3).join(',')));
  assert.equal(colours.size, 21);
});

test('depth maps: 16-bit PNGs of depth × 1000; .npy keeps the exact values', () => {
  const [a] = mapFiles('depth', depths, 2, 'png');
  const png = PNG.sync.read(Buffer.from(a.bytes), { skipRescale: true } as never);
  const grey = Array.from({ length: 6 }, (_, p) => (png.data as unknown as Uint16Array)[4 * p]);
  assert.deepEqual(grey, [1500, 1, 65535, 2000, 0, 3250]);
  assert.equal(DEPTH_PNG_SCALE, 1000);
  const [n] = mapFiles('depth', depths, 2, 'npy');
  assert.equal(n.name, 'depth.npy');
  const arr = parseNpy(n.bytes, 'depth.npy');
  assert.deepEqual(arr.shape, [2, 2, 3]);
  assert.equal(arr.descr, '<f4');
  assert.deepEqual(Array.from(arr.data as Float32Array), Array.from(depths.values));
  const c = parseNpy(mapFiles('seg', classes, 2, 'npy')[0].bytes, 'seg.npy');
  assert.equal(c.descr, '<i4');
  assert.deepEqual(Array.from(c.data as Int32Array), Array.from(classes.values));
});
