// multimnist: the homogeneous two-task MultiMNIST benchmark (Sener & Koltun, NeurIPS 2018 style).
//
// Construction of one example (default canvas 36):
//   - a "left" MNIST digit and a different, randomly drawn "right" MNIST digit (28×28 each);
//   - on a canvas×canvas zero canvas (slack s = canvas − 28 = 8), the left digit's top-left corner
//     goes to (dy, dx) with dy, dx uniform in [0, j] and the right digit's to (s − dy', s − dx') with
//     dy', dx' uniform in [0, j], j = floor(s / 4) = 2: the left digit sits in the top-left, the right
//     one in the bottom-right, 4 to 8 pixels apart on each axis (Sener & Koltun use a fixed 6);
//   - where they overlap, the pixel is the max of the two;
//   - the canvas is resized to 28×28 with bilinear interpolation (half-pixel centres, no
//     antialiasing), so that both benchmarks share the 28×28×1 input shape; pixels /255 in [0, 1].
// Tasks: 'left' = label of the left (top-left) digit, 'right' = label of the right (bottom-right) one.
// Left digits are distinct source images (a random permutation); right partners are uniform over
// the other images. Train examples come from the MNIST train split, test examples from the MNIST
// test split, each from its own stream Rng.derive(dataSeed, 'multimnist/<train|test>'); dataSeed
// (default 0) is fixed and independent of the run seed, so every run sees the same examples.
import { FsmtlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { classHistogram } from './labels.js';
import { resizeBilinear } from './image.js';
import { checkCount, checkInteger, expect28 } from './select.js';
import { loadMnist, resolveDataDir, type ImageSet } from './sources.js';
import { TEN_CLASSES, type Benchmark } from './types.js';

// Kept importable from here, where it started.
export { resizeBilinear };

export interface MultiMnistOptions {
  /** Data directory (default: resolveDataDir()). */
  dataDir?: string;
  /** Run seed; recorded, but it does not change the data. */
  seed: number;
  /** Number of training examples (default 10000, from the 60k MNIST train split). */
  trainSize?: number;
  /** Number of test examples (default 2000, from the 10k MNIST test split). */
  testSize?: number;
  /** Side of the composition canvas before the resize to 28×28 (default 36, from 32 to 112). */
  canvas?: number;
  /** Seed that chooses the digit pairs and offsets (default 0); fixed, independent of the run seed. */
  dataSeed?: number;
}

export const MULTIMNIST_DEFAULT_CANVAS = 36;
const OUT = 28;
const DIGIT = 28;

/** Everything about a composed MultiMNIST split, including which source images made each example. */
export interface MultiMnistParts {
  n: number;
  /** n × 28 × 28 float32 pixels in [0, 1]. */
  x: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** Source indices (into the MNIST split) of the left and right digits. */
  leftIndex: Int32Array;
  rightIndex: Int32Array;
  /** Canvas positions of the digits' top-left corners, [y0, x0, y1, x1, ...]. */
  leftPos: Int32Array;
  rightPos: Int32Array;
}

/** Overlays a 28×28 digit on the canvas at (y0, x0), keeping the max of the two. */
function paste(canvasPx: Uint8Array, side: number, src: Uint8Array, srcOffset: number, y0: number, x0: number): void {
  for (let y = 0; y < DIGIT; y++) {
    const row = (y0 + y) * side + x0;
    const srow = srcOffset + y * DIGIT;
    for (let x = 0; x < DIGIT; x++) {
      const v = src[srow + x];
      if (v > canvasPx[row + x]) canvasPx[row + x] = v;
    }
  }
}

/** Composes one canvas (uint8, side×side) from two digits at the given positions. */
export function composeCanvas(
  src: ImageSet,
  leftIndex: number,
  rightIndex: number,
  leftPos: [number, number],
  rightPos: [number, number],
  side: number,
  out = new Uint8Array(side * side),
): Uint8Array {
  out.fill(0);
  paste(out, side, src.images, leftIndex * DIGIT * DIGIT, leftPos[0], leftPos[1]);
  paste(out, side, src.images, rightIndex * DIGIT * DIGIT, rightPos[0], rightPos[1]);
  return out;
}

/** Composes n MultiMNIST examples from one MNIST split (see the construction above). */
export function composeMultiMnist(src: ImageSet, n: number, rng: Rng, canvas = MULTIMNIST_DEFAULT_CANVAS): MultiMnistParts {
  expect28(src, 'MultiMNIST');
  if (n > src.n) throw new FsmtlError(`MultiMNIST: ${n} examples need ${n} distinct left digits, ${src.imagesFile} has ${src.n}`);
  if (src.n < 2) throw new FsmtlError(`MultiMNIST: ${src.imagesFile} has fewer than 2 images`);
  const slack = canvas - DIGIT;
  const jitter = Math.floor(slack / 4);
  const order = rng.permutation(src.n);
  const parts: MultiMnistParts = {
    n,
    x: new Float32Array(n * OUT * OUT),
    left: new Int32Array(n),
    right: new Int32Array(n),
    leftIndex: new Int32Array(n),
    rightIndex: new Int32Array(n),
    leftPos: new Int32Array(2 * n),
    rightPos: new Int32Array(2 * n),
  };
  const buf = new Uint8Array(canvas * canvas);
  for (let i = 0; i < n; i++) {
    const li = order[i];
    let ri = rng.int(src.n - 1);
    if (ri >= li) ri++;
    const lp: [number, number] = [rng.int(jitter + 1), rng.int(jitter + 1)];
    const rp: [number, number] = [slack - rng.int(jitter + 1), slack - rng.int(jitter + 1)];
    composeCanvas(src, li, ri, lp, rp, canvas, buf);
    resizeBilinear(buf, canvas, canvas, parts.x, i * OUT * OUT, OUT, OUT, 1 / 255);
    parts.left[i] = src.labels[li];
    parts.right[i] = src.labels[ri];
    parts.leftIndex[i] = li;
    parts.rightIndex[i] = ri;
    parts.leftPos.set(lp, 2 * i);
    parts.rightPos.set(rp, 2 * i);
  }
  return parts;
}

export function buildMultiMnist(opts: MultiMnistOptions): Benchmark {
  const seed = checkInteger(opts.seed, 'seed');
  const dataSeed = checkInteger(opts.dataSeed ?? 0, 'dataSeed');
  const canvas = checkInteger(opts.canvas ?? MULTIMNIST_DEFAULT_CANVAS, 'canvas');
  if (canvas < 32 || canvas > 112) throw new FsmtlError(`canvas must be between 32 and 112 pixels, got ${canvas}`);
  const dir = resolveDataDir(opts.dataDir);
  const mnist = loadMnist(dir);
  const trainSize = checkCount(opts.trainSize ?? 10000, 'trainSize', mnist.train.n, `images of the MNIST train split (${mnist.train.imagesFile})`);
  const testSize = checkCount(opts.testSize ?? 2000, 'testSize', mnist.test.n, `images of the MNIST test split (${mnist.test.imagesFile})`);

  const train = composeMultiMnist(mnist.train, trainSize, Rng.derive(dataSeed, 'multimnist/train'), canvas);
  const test = composeMultiMnist(mnist.test, testSize, Rng.derive(dataSeed, 'multimnist/test'), canvas);
  const jitter = Math.floor((canvas - DIGIT) / 4);
  const hist = (y: Int32Array) => `[${classHistogram(y, 10).join(' ')}]`;
  return {
    name: 'multimnist',
    kind: 'homogeneous',
    inputShape: [OUT, OUT, 1],
    tasks: [
      { name: 'left', spec: TEN_CLASSES, train: { x: train.x, y: Float32Array.from(train.left), n: trainSize }, test: { x: test.x, y: Float32Array.from(test.left), n: testSize } },
      { name: 'right', spec: TEN_CLASSES, train: { x: train.x, y: Float32Array.from(train.right), n: trainSize }, test: { x: test.x, y: Float32Array.from(test.right), n: testSize } },
    ],
    provenance: [
      `multimnist: 2 homogeneous tasks (left, right digit), 10 classes each; MultiMNIST after Sener & Koltun (2018): ` +
        `two MNIST digits overlaid by max on a ${canvas}×${canvas} canvas, left digit at offset [0, ${jitter}]² (top-left), ` +
        `right digit at [${canvas - DIGIT - jitter}, ${canvas - DIGIT}]² (bottom-right), bilinear resize to 28×28, pixels /255 in [0, 1]`,
      `train: ${trainSize} examples from the MNIST train split (${mnist.train.imagesFile}); left ${hist(train.left)}, right ${hist(train.right)}`,
      `test: ${testSize} examples from the MNIST test split (${mnist.test.imagesFile}); left ${hist(test.left)}, right ${hist(test.right)}`,
      `pairs and offsets from fixed data seed ${dataSeed}; the run seed (${seed}) does not affect the data`,
    ],
  };
}
