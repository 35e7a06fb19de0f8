// Per-pixel predictions as files: segmentation maps as indexed-colour PNGs (the pixel values are the class
// indices, shown in a fixed palette) and depth maps as 16-bit grey PNGs (depth × DEPTH_PNG_SCALE, as
// KITTI and Cityscapes store depth and disparity), one file per input; or every map of a task in one
// .npy ([n, height, width]: int32 classes, float32 depths in the data's units).
import type { PixelMaps } from '../tasks/types.js';
import { encodeNpy } from './npy-write.js';
import { encodePng } from './png-write.js';

/** A depth PNG stores round(depth × 1000), clamped to 0 … 65535: millimetres for depths in metres. */
export const DEPTH_PNG_SCALE = 1000;

/** RGB of class k: black background (0), then well separated hues (golden-angle steps), 256 entries. */
export function classPalette(): Uint8Array {
  const p = new Uint8Array(256 * 3);
  for (let k = 1; k < 256; k++) {
    const h = (k * 137.508) % 360;
    const l = k % 2 ? 0.55 : 0.42;
    const s = 0.75;
    const f = (n: number) => {
      const a = (n + h / 30) % 12;
      return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(a - 3, 9 - a, 1));
    };
    p.set([f(0), f(8), f(4)].map((v) => Math.round(255 * v)), 3 * k);
  }
  return p;
}

export interface MapFile {
  /** Path relative to the output folder. */
  name: string;
  bytes: Uint8Array;
}

/** The files of one task's maps: `<task>/<i>.png` per input, or `<task>.npy`. */
export function mapFiles(task: string, maps: PixelMaps, n: number, format: 'png' | 'npy'): MapFile[] {
  const { height, width } = maps;
  const px = height * width;
  if (format === 'npy') {
    const data = maps.type === 'classes' ? Int32Array.from(maps.values) : maps.values;
    return [{ name: `${task}.npy`, bytes: encodeNpy(data, [n, height, width]) }];
  }
  const files: MapFile[] = [];
  const digits = String(Math.max(0, n - 1)).length;
  const palette = classPalette();
  for (let i = 0; i < n; i++) {
    const v = maps.values.subarray(i * px, (i + 1) * px);
    const name = `${task}/${String(i).padStart(digits, '0')}.png`;
    if (maps.type === 'classes') {
      files.push({ name, bytes: encodePng({ type: 'indexed', width, height, pixels: Uint8Array.from(v), palette: palette.subarray(0, 3 * Math.max(2, maps.classes ?? 256)) }, { Description: `fsmtl ${task}: class index per pixel` }) });
    } else {
      const q = Uint16Array.from(v, (d) => (Number.isFinite(d) ? Math.max(0, Math.min(65535, Math.round(d * DEPTH_PNG_SCALE))) : 0));
      files.push({ name, bytes: encodePng({ type: 'grey16', width, height, pixels: q }, { Description: `fsmtl ${task}: depth × ${DEPTH_PNG_SCALE}${maps.unit ? ` (${maps.unit})` : ''}` }) });
    }
  }
  return files;
}
