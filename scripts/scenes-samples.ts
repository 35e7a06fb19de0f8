// Draws docs/scenes-samples.png: eight test scenes of the scenes benchmark (data seed 0), two per row, each
// as its input, per-pixel class (the class palette of src/io/maps.ts) and depth (bright = near).
//   node --import tsx scripts/scenes-samples.ts [out.png]
import { writeFileSync } from 'node:fs';
import { buildScenes, Z_BACKGROUND, Z_NEAR } from '../src/data/scenes.js';
import { mapFigurePng, type MapPanel } from '../src/experiments/map-figure.js';

const out = process.argv[2] ?? 'docs/scenes-samples.png';
const b = buildScenes({ seed: 0, trainSize: 1, testSize: 8 });
const S = b.inputShape[0];
const px = S * S;
const [seg, depth] = b.tasks;
const scene = (i: number): MapPanel[] => [
  { type: 'image', channels: 1, values: seg.test.x.subarray(i * px, (i + 1) * px) },
  { type: 'classes', values: seg.test.y.subarray(i * px, (i + 1) * px) },
  { type: 'values', values: depth.test.y.subarray(i * px, (i + 1) * px) },
];
const rows = Array.from({ length: 4 }, (_, r) => [...scene(2 * r), ...scene(2 * r + 1)]);
writeFileSync(out, mapFigurePng(rows, { height: S, width: S, depthRange: [Z_NEAR, Z_BACKGROUND] }));
console.log(`wrote ${out}`);
