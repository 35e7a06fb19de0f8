// morpho: a homogeneous benchmark of mixed task kinds on real MNIST digits, after Morpho-MNIST
// (Castro et al., JMLR 2019). fsmtl measures each digit's stroke thickness and slant itself, with that
// paper's definitions (src/data/morphometrics.ts, docs/morpho.md), and every task labels the same images:
//   digit        multiclass  the MNIST label (10 classes)
//   thickness    regression  mean stroke thickness, pixels
//   slant        regression  shear angle of the digit, degrees (positive: the top leans right)
//   thick        binary      thickness above the training images' median
//   right_slant  binary      slant above the training images' median
// Training images come from MNIST's train split, test images from its test split: class-stratified
// subsets chosen with a fixed data seed (the run seed never changes the data). The medians come from
// the training subset only, so no test information enters a label.
import { Rng } from '../util/rng.js';
import { classHistogram } from './labels.js';
import { measureAll, MORPHOMETRIC_NAMES } from './morphometrics.js';
import { checkCount, checkInteger, expect28, gatherSplit, stratifiedSample } from './select.js';
import { loadMnist, resolveDataDir } from './sources.js';
import type { Benchmark, Split, TaskData } from './types.js';

export interface MorphoOptions {
  dataDir?: string;
  /** Run seed; recorded, but it does not change the data. */
  seed: number;
  /** Training images (default 10,000; at most 60,000). */
  trainSize?: number;
  /** Test images (default 2,000; at most 10,000). */
  testSize?: number;
}

/** Fixed seed of the train/test subsets. */
export const MORPHO_DATA_SEED = 0;

const THICKNESS = MORPHOMETRIC_NAMES.indexOf('thickness');
const SLANT = MORPHOMETRIC_NAMES.indexOf('slant');

function median(xs: Float32Array): number {
  const s = Float32Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Thickness (px) and slant (degrees) of every image of a split. */
function measure(split: Split): { thickness: Float32Array; slant: Float32Array } {
  const m = measureAll(split.x, split.n, 28, 28);
  const k = MORPHOMETRIC_NAMES.length;
  const thickness = new Float32Array(split.n);
  const slant = new Float32Array(split.n);
  for (let i = 0; i < split.n; i++) {
    thickness[i] = m[i * k + THICKNESS];
    slant[i] = (m[i * k + SLANT] * 180) / Math.PI;
  }
  return { thickness, slant };
}

const above = (xs: Float32Array, threshold: number) => xs.map((v) => (v > threshold ? 1 : 0));

export function buildMorpho(opts: MorphoOptions): Benchmark {
  const seed = checkInteger(opts.seed, 'seed');
  const dir = resolveDataDir(opts.dataDir);
  const mnist = loadMnist(dir);
  expect28(mnist.train, 'morpho');
  expect28(mnist.test, 'morpho');
  const trainSize = checkCount(opts.trainSize ?? 10000, 'trainSize', mnist.train.labels.length, 'MNIST training images');
  const testSize = checkCount(opts.testSize ?? 2000, 'testSize', mnist.test.labels.length, 'MNIST test images');
  const trainIdx = stratifiedSample(mnist.train.labels, 10, trainSize, Rng.derive(MORPHO_DATA_SEED, 'morpho/train'));
  const testIdx = stratifiedSample(mnist.test.labels, 10, testSize, Rng.derive(MORPHO_DATA_SEED, 'morpho/test'));
  const train = gatherSplit(mnist.train, trainIdx);
  const test = gatherSplit(mnist.test, testIdx);
  const mTrain = measure(train);
  const mTest = measure(test);
  const thickMedian = median(mTrain.thickness);
  const slantMedian = median(mTrain.slant);

  const task = (name: string, spec: TaskData['spec'], yTrain: Float32Array, yTest: Float32Array): TaskData => ({
    name,
    spec,
    train: { x: train.x, y: yTrain, n: train.n },
    test: { x: test.x, y: yTest, n: test.n },
  });
  const tasks: TaskData[] = [
    task('digit', { kind: 'multiclass', classes: 10 }, train.y, test.y),
    task('thickness', { kind: 'regression', targets: 1, targetNames: ['thickness_px'] }, mTrain.thickness, mTest.thickness),
    task('slant', { kind: 'regression', targets: 1, targetNames: ['slant_deg'] }, mTrain.slant, mTest.slant),
    task('thick', { kind: 'binary', classNames: ['thin', 'thick'] }, above(mTrain.thickness, thickMedian), above(mTest.thickness, thickMedian)),
    task('right_slant', { kind: 'binary', classNames: ['upright', 'right'] }, above(mTrain.slant, slantMedian), above(mTest.slant, slantMedian)),
  ];
  const stats = (xs: Float32Array) => {
    const mean = xs.reduce((a, v) => a + v, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / xs.length);
    return `mean ${mean.toFixed(2)}, sd ${sd.toFixed(2)}`;
  };
  return {
    name: 'morpho',
    kind: 'homogeneous',
    inputShape: [28, 28, 1],
    tasks,
    provenance: [
      `morpho: 5 homogeneous tasks on MNIST digits (digit: 10 classes; thickness, slant: regression; thick, right_slant: binary), ` +
        `28×28×1 grayscale, pixels x/255 in [0, 1]; morphometrics measured by fsmtl after Morpho-MNIST (Castro et al., 2019; docs/morpho.md); data directory ${dir}`,
      `train: ${trainSize} class-stratified MNIST training images [${classHistogram(train.y, 10).join(' ')}]; thickness ${stats(mTrain.thickness)} px; slant ${stats(mTrain.slant)}°`,
      `test: ${testSize} class-stratified MNIST test images [${classHistogram(test.y, 10).join(' ')}]; thickness ${stats(mTest.thickness)} px; slant ${stats(mTest.slant)}°`,
      `binary tasks split at the training medians: thick = thickness > ${thickMedian.toFixed(3)} px, right_slant = slant > ${slantMedian.toFixed(3)}°`,
      `subsets chosen with fixed data seed ${MORPHO_DATA_SEED}; the run seed (${seed}) does not affect the data`,
    ],
  };
}
