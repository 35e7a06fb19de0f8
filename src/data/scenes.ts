// scenes: a dense-prediction benchmark built from real glyphs, for the paper's Cityscapes setting
// (semantic segmentation + depth) on data that ships offline. docs/scenes.md describes it with samples.
//
// Construction of one size×size scene (default 64):
//   - 3 to 6 glyphs, each from MNIST or Fashion-MNIST (probability ½ each) and a uniformly drawn image of
//     the split (train scenes from the train splits, test scenes from the test splits);
//   - each glyph sits at a depth z uniform in [Z_NEAR, Z_FAR] = [1, 4] and is seen in perspective: its side
//     is round(0.75·size / z) pixels (48 to 12 at 64), at a uniform position inside the scene;
//   - it is drawn far to near (painter's algorithm) with opacity α = min(1, 4v) of its resized pixel value
//     v ∈ [0, 1] and brightness (1 − 0.6 (z − 1)/3)(0.3 + 0.7 v): nearer glyphs are larger and brighter and
//     hide the ones behind them;
//   - the background is a far plane at depth Z_BACKGROUND = 5 with faint noise 0.04 + 0.06·u, u uniform.
// Tasks: 'segment': the class of the front-most glyph covering a pixel (a pixel belongs to a glyph
// where α ≥ ½), 21 classes: 0 background, 1–10 the digits 0–9, 11–20 the Fashion-MNIST classes;
// 'depth': the front-most surface's depth (glyphs are planes facing the camera), Z_BACKGROUND elsewhere.
// Inputs are one grey channel in [0, 1]. Every draw comes from Rng.derive(dataSeed, 'scenes/<split>'):
// the data seed (default 0) fixes the scenes, independently of the run seed.
import { FsmtlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { resizeBilinear } from './image.js';
import { checkCount, checkInteger, expect28 } from './select.js';
import { loadFashionMnist, loadMnist, resolveDataDir, type ImageSet } from './sources.js';
import type { Benchmark } from './types.js';

export interface ScenesOptions {
  dataDir?: string;
  /** Run seed; recorded, but it does not change the data. */
  seed: number;
  /** Scenes in the train and test splits (defaults 4000 and 1000). */
  trainSize?: number;
  testSize?: number;
  /** Side of the square scenes in pixels (default 64, 32 to 256). */
  size?: number;
  /** Seed of the scenes themselves (default 0). */
  dataSeed?: number;
}

export const Z_NEAR = 1;
export const Z_FAR = 4;
export const Z_BACKGROUND = 5;
export const MIN_GLYPHS = 3;
export const MAX_GLYPHS = 6;
export const SCENES_DEFAULT_SIZE = 64;

export const FASHION_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
/** Class names of the segmentation task, in label order. */
export const SCENE_CLASSES = ['background', ...Array.from({ length: 10 }, (_, d) => `digit ${d}`), ...FASHION_NAMES];

/** One placed glyph: its source (0 MNIST, 1 Fashion-MNIST), image index, depth, side and top-left corner. */
export interface Glyph {
  source: 0 | 1;
  index: number;
  z: number;
  side: number;
  y0: number;
  x0: number;
}

export interface SceneSet {
  n: number;
  size: number;
  /** n × size × size grey pixels in [0, 1]. */
  x: Float32Array;
  /** n × size × size classes (0 background, 1–10 digits, 11–20 fashion). */
  segment: Float32Array;
  /** n × size × size depths. */
  depth: Float32Array;
  /** The glyphs of each scene, far to near. */
  glyphs: Glyph[][];
}

/** Scene class of a glyph: 1 + digit for MNIST, 11 + class for Fashion-MNIST. */
export const glyphClass = (source: 0 | 1, label: number) => 1 + 10 * source + label;

/** Draws the glyphs of one scene (sorted far to near). */
export function drawGlyphs(rng: Rng, size: number, counts: [number, number]): Glyph[] {
  const k = MIN_GLYPHS + rng.int(MAX_GLYPHS - MIN_GLYPHS + 1);
  const glyphs: Glyph[] = [];
  for (let g = 0; g < k; g++) {
    const source = rng.int(2) as 0 | 1;
    const index = rng.int(counts[source]);
    const z = Z_NEAR + (Z_FAR - Z_NEAR) * rng.next();
    const side = Math.max(4, Math.min(size, Math.round((0.75 * size) / z)));
    glyphs.push({ source, index, z, side, y0: rng.int(size - side + 1), x0: rng.int(size - side + 1) });
  }
  return glyphs.sort((a, b) => b.z - a.z);
}

/**
 * Renders one scene into x, segment and depth at `offset` (size² each): background noise from rng, then the
 * glyphs far to near.
 */
export function renderScene(glyphs: Glyph[], sources: [ImageSet, ImageSet], size: number, rng: Rng, x: Float32Array, segment: Float32Array, depth: Float32Array, offset: number): void {
  for (let p = 0; p < size * size; p++) {
    x[offset + p] = 0.04 + 0.06 * rng.next();
    segment[offset + p] = 0;
    depth[offset + p] = Z_BACKGROUND;
  }
  const buf = new Float32Array(size * size);
  for (const g of glyphs) {
    const src = sources[g.source];
    const cls = glyphClass(g.source, src.labels[g.index]);
    resizeBilinear(src.images.subarray(g.index * 784, (g.index + 1) * 784), 28, 28, buf, 0, g.side, g.side, 1 / 255, { antialias: g.side < 28 });
    const bright = 1 - (0.6 * (g.z - Z_NEAR)) / (Z_FAR - Z_NEAR);
    for (let y = 0; y < g.side; y++) {
      for (let xx = 0; xx < g.side; xx++) {
        const v = Math.min(1, Math.max(0, buf[y * g.side + xx]));
        const alpha = Math.min(1, 4 * v);
        if (alpha === 0) continue;
        const p = offset + (g.y0 + y) * size + g.x0 + xx;
        x[p] = alpha * bright * (0.3 + 0.7 * v) + (1 - alpha) * x[p];
        if (alpha >= 0.5) {
          segment[p] = cls;
          depth[p] = g.z;
        }
      }
    }
  }
}

/** n scenes from the given MNIST and Fashion-MNIST splits. */
export function composeScenes(mnist: ImageSet, fashion: ImageSet, n: number, size: number, rng: Rng): SceneSet {
  expect28(mnist, 'scenes');
  expect28(fashion, 'scenes');
  const px = size * size;
  const set: SceneSet = { n, size, x: new Float32Array(n * px), segment: new Float32Array(n * px), depth: new Float32Array(n * px), glyphs: [] };
  for (let i = 0; i < n; i++) {
    const glyphs = drawGlyphs(rng, size, [mnist.n, fashion.n]);
    renderScene(glyphs, [mnist, fashion], size, rng, set.x, set.segment, set.depth, i * px);
    set.glyphs.push(glyphs);
  }
  return set;
}

export function buildScenes(opts: ScenesOptions): Benchmark {
  const seed = checkInteger(opts.seed, 'seed');
  const dataSeed = checkInteger(opts.dataSeed ?? 0, 'dataSeed');
  const size = checkInteger(opts.size ?? SCENES_DEFAULT_SIZE, 'size');
  if (size < 32 || size > 256) throw new FsmtlError(`scenes: size must be between 32 and 256 pixels, got ${size}`);
  const trainSize = checkCount(opts.trainSize ?? 4000, 'trainSize', 100000, 'scenes fsmtl composes per split');
  const testSize = checkCount(opts.testSize ?? 1000, 'testSize', 100000, 'scenes fsmtl composes per split');
  const dir = resolveDataDir(opts.dataDir);
  const mnist = loadMnist(dir);
  const fashion = loadFashionMnist(dir);
  const train = composeScenes(mnist.train, fashion.train, trainSize, size, Rng.derive(dataSeed, 'scenes/train'));
  const test = composeScenes(mnist.test, fashion.test, testSize, size, Rng.derive(dataSeed, 'scenes/test'));
  const grid = { height: size, width: size };
  const coverage = (s: SceneSet) => (100 * s.segment.reduce((a, c) => a + (c > 0 ? 1 : 0), 0)) / s.segment.length;
  return {
    name: 'scenes',
    kind: 'homogeneous',
    inputShape: [size, size, 1],
    tasks: [
      {
        name: 'segment',
        spec: { kind: 'segmentation', classes: SCENE_CLASSES.length, ...grid, classNames: SCENE_CLASSES },
        train: { x: train.x, y: train.segment, n: trainSize },
        test: { x: test.x, y: test.segment, n: testSize },
      },
      {
        name: 'depth',
        spec: { kind: 'depth', ...grid, unit: 'scene units' },
        train: { x: train.x, y: train.depth, n: trainSize },
        test: { x: test.x, y: test.depth, n: testSize },
      },
    ],
    provenance: [
      `scenes: ${size}×${size} grey scenes of ${MIN_GLYPHS}–${MAX_GLYPHS} MNIST and Fashion-MNIST glyphs at depths [${Z_NEAR}, ${Z_FAR}] in perspective, ` +
        `occluding one another in front of a background plane at depth ${Z_BACKGROUND} (docs/scenes.md); ` +
        `tasks: segment (21 classes per pixel: background, 10 digits, 10 fashion classes) and depth (per pixel)`,
      `train: ${trainSize} scenes from the train splits of ${mnist.train.imagesFile} and ${fashion.train.imagesFile}; ${coverage(train).toFixed(1)}% of pixels on glyphs`,
      `test: ${testSize} scenes from the test splits of ${mnist.test.imagesFile} and ${fashion.test.imagesFile}; ${coverage(test).toFixed(1)}% of pixels on glyphs`,
      `scenes from fixed data seed ${dataSeed}; the run seed (${seed}) does not affect the data`,
    ],
  };
}
