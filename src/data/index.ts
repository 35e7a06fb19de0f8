// Data: file readers (IDX, npy/npz), dataset loaders and the benchmarks built from them.
import { FsmtlError } from '../util/errors.js';
import { buildHetero3, type Hetero3Options } from './hetero3.js';
import { buildMultiMnist, type MultiMnistOptions } from './multimnist.js';
import { buildMorpho, type MorphoOptions } from './morpho.js';
import { buildCelebA, type CelebABenchmarkOptions } from './celeba-benchmark.js';
import { buildScenes, type ScenesOptions } from './scenes.js';
import { buildCityscapes, buildNyuv2, type DenseNpyOptions } from './dense-npy.js';
import { loadDataManifest } from './manifest.js';
import type { Benchmark } from './types.js';

export type { Split, TaskData, Benchmark } from './types.js';
export { parseIdx, readIdxFile, maybeGunzip, isGzip, expectIdxDims, type IdxArray } from './idx.js';
export { parseNpy, parseNpz, readNpyFile, readNpzFile, npzArray, type NpyArray, type NpyDtype, type NpyData } from './npy.js';
export { validateLabels, checkCounts, classHistogram } from './labels.js';
export {
  resolveDataDir,
  loadMnist,
  loadFashionMnist,
  loadKmnist,
  type ImageSet,
  type RawDataset,
  type TrainTestDataset,
} from './sources.js';
export { clearDataCache } from './cache.js';
export { resizeBilinear, resizeImage, centerCrop, centerSquare, type FloatImage, type ResizeOptions } from './image.js';
export { parseJpeg, readJpegFile, type JpegOptions } from './jpeg.js';
export { parseCsv, readCsvFile, numericColumn, type CsvTable, type CsvOptions } from './csv.js';
export {
  readCelebA,
  parseCelebAAttributes,
  parseCelebAPartition,
  CELEBA_ATTRIBUTES,
  DEFAULT_CELEBA_ATTRIBUTES,
  CELEBA_SPLITS,
  type CelebA,
  type CelebAOptions,
  type CelebASplit,
  type CelebASplitName,
  type CelebAAttributeList,
  type CelebAPartitionList,
} from './celeba.js';
export { stratifiedSample, stratifiedSplit, stratifiedQuotas } from './select.js';
export { buildMorpho, MORPHO_DATA_SEED, type MorphoOptions } from './morpho.js';
export { buildCelebA, type CelebABenchmarkOptions } from './celeba-benchmark.js';
export { buildScenes, composeScenes, SCENE_CLASSES, type ScenesOptions, type SceneSet } from './scenes.js';
export { buildCityscapes, buildNyuv2, type DenseNpyOptions } from './dense-npy.js';
export { withValidation, VALIDATION_SEED } from './validation.js';
export { loadDataManifest, dataManifestHash, manifestSchema, DEFAULT_TEST_FRACTION, type DataManifest } from './manifest.js';
export { readDataManifest } from './manifest-schema.js';
export { buildHetero3, KMNIST_SPLIT_SEED, KMNIST_TEST_FRACTION, HETERO3_DATA_SEED, type Hetero3Options } from './hetero3.js';
export {
  buildMultiMnist,
  composeMultiMnist,
  MULTIMNIST_DEFAULT_CANVAS,
  type MultiMnistOptions,
  type MultiMnistParts,
} from './multimnist.js';
export {
  measureMorphometrics,
  measureAll,
  MORPHOMETRIC_NAMES,
  MORPHO_DEFAULTS,
  type Morphometrics,
  type MorphometricName,
  type MorphometricsOptions,
} from './morphometrics.js';

export interface BenchmarkOptionsByName {
  hetero3: Hetero3Options;
  multimnist: MultiMnistOptions;
  morpho: MorphoOptions;
  celeba: CelebABenchmarkOptions;
  scenes: ScenesOptions;
  cityscapes: DenseNpyOptions;
  nyuv2: DenseNpyOptions;
  data: { seed: number; manifest: string };
}
export type BenchmarkName = keyof BenchmarkOptionsByName;

/** The fields of a training config that choose and size a benchmark (src/train/config.ts). */
export interface BenchmarkSettings {
  benchmark: string;
  dataDir?: string;
  /** benchmark 'data': the user's data manifest (docs/data-manifest.md). */
  data?: string;
  trainPerTask: number;
  testPerTask: number;
  trainSize: number;
  attributes?: string[];
  imageSize?: number;
}

interface Entry {
  build: (opts: never) => Benchmark;
  /** Options of build() by name (loadBenchmark refuses others). */
  options: string[];
  /** Config fields it reads besides dataDir (config validation refuses the others' own fields). */
  settings: (keyof BenchmarkSettings)[];
  /** build() from a config: the data seed is fixed, so every run seed trains on the same examples. */
  fromSettings: (c: BenchmarkSettings) => Benchmark;
  describe: string;
}

const REGISTRY: Record<BenchmarkName, Entry> = {
  hetero3: {
    build: buildHetero3,
    options: ['dataDir', 'seed', 'trainPerTask', 'testPerTask'],
    settings: ['trainPerTask', 'testPerTask'],
    fromSettings: (c) => buildHetero3({ dataDir: c.dataDir, seed: 0, trainPerTask: c.trainPerTask, testPerTask: c.testPerTask }),
    describe: 'MNIST + KMNIST + Fashion-MNIST, 3 heterogeneous 10-class tasks',
  },
  multimnist: {
    build: buildMultiMnist,
    options: ['dataDir', 'seed', 'trainSize', 'testSize', 'canvas', 'dataSeed'],
    settings: ['trainSize', 'testPerTask'],
    fromSettings: (c) => buildMultiMnist({ dataDir: c.dataDir, seed: 0, trainSize: c.trainSize, testSize: c.testPerTask }),
    describe: 'MultiMNIST, 2 homogeneous 10-class tasks (left, right digit)',
  },
  morpho: {
    build: buildMorpho,
    options: ['dataDir', 'seed', 'trainSize', 'testSize'],
    settings: ['trainSize', 'testPerTask'],
    fromSettings: (c) => buildMorpho({ dataDir: c.dataDir, seed: 0, trainSize: c.trainSize, testSize: c.testPerTask }),
    describe: 'MNIST digits and their Morpho-MNIST measurements: 5 homogeneous tasks of 3 kinds (digit; thickness, slant; thick, right_slant)',
  },
  celeba: {
    build: buildCelebA,
    options: ['dataDir', 'seed', 'attributes', 'imageSize', 'trainSize', 'valSize', 'testSize'],
    settings: ['trainSize', 'testPerTask', 'attributes', 'imageSize'],
    fromSettings: (c) =>
      buildCelebA({ dataDir: c.dataDir, seed: 0, attributes: c.attributes, imageSize: c.imageSize, trainSize: c.trainSize, valSize: c.testPerTask, testSize: c.testPerTask }),
    describe: "CelebA from your copy (--data-dir): binary attributes of face images, the paper's multi-label setting",
  },
  scenes: {
    build: buildScenes,
    options: ['dataDir', 'seed', 'trainSize', 'testSize', 'size', 'dataSeed'],
    settings: ['trainSize', 'testPerTask', 'imageSize'],
    fromSettings: (c) => buildScenes({ dataDir: c.dataDir, seed: 0, trainSize: c.trainSize, testSize: c.testPerTask, size: c.imageSize }),
    describe: 'scenes of occluding MNIST and Fashion-MNIST glyphs: per-pixel class (21) and depth (docs/scenes.md)',
  },
  cityscapes: {
    build: buildCityscapes,
    options: ['dataDir', 'seed', 'trainSize', 'testSize', 'classes'],
    settings: ['trainSize', 'testPerTask'],
    fromSettings: (c) => buildCityscapes({ dataDir: c.dataDir, seed: 0, trainSize: c.trainSize, testSize: c.testPerTask }),
    describe: "Cityscapes from your MTAN/LibMTL preprocessed copy (--data-dir): 7-class segmentation and depth, the paper's Table 2",
  },
  nyuv2: {
    build: buildNyuv2,
    options: ['dataDir', 'seed', 'trainSize', 'testSize'],
    settings: ['trainSize', 'testPerTask'],
    fromSettings: (c) => buildNyuv2({ dataDir: c.dataDir, seed: 0, trainSize: c.trainSize, testSize: c.testPerTask }),
    describe: 'NYUv2 from your MTAN/LibMTL preprocessed copy (--data-dir): 13-class segmentation and depth',
  },
  data: {
    build: (o: { manifest: string }) => loadDataManifest(o.manifest),
    options: ['seed', 'manifest'],
    settings: ['data'],
    fromSettings: (c) => loadDataManifest(c.data!),
    describe: 'your own tasks, from a data manifest (--data tasks.json; docs/data-manifest.md)',
  },
};

/** Names of the known benchmarks. */
export const BENCHMARK_NAMES = Object.keys(REGISTRY) as BenchmarkName[];

/** One-line descriptions of the known benchmarks, for help texts. */
export function describeBenchmarks(): { name: BenchmarkName; description: string }[] {
  return BENCHMARK_NAMES.map((name) => ({ name, description: REGISTRY[name].describe }));
}

export function isBenchmarkName(name: string): name is BenchmarkName {
  return Object.prototype.hasOwnProperty.call(REGISTRY, name);
}

/** The config fields a benchmark reads (besides dataDir). */
export function benchmarkSettings(name: string): (keyof BenchmarkSettings)[] {
  return isBenchmarkName(name) ? REGISTRY[name].settings : [];
}

/** The benchmark a config asks for. */
export function benchmarkFromSettings(c: BenchmarkSettings): Benchmark {
  if (!isBenchmarkName(c.benchmark)) throw new FsmtlError(`unknown benchmark '${c.benchmark}' (known: ${BENCHMARK_NAMES.join(', ')})`);
  return REGISTRY[c.benchmark].fromSettings(c);
}

/**
 * Builds a benchmark by name. Unknown names and options that the benchmark does not take
 * (undefined values aside) are FsmtlErrors.
 */
export function loadBenchmark<N extends BenchmarkName>(name: N, opts: BenchmarkOptionsByName[N]): Benchmark;
export function loadBenchmark(name: string, opts: { seed: number; dataDir?: string; [option: string]: unknown }): Benchmark;
export function loadBenchmark(name: string, opts: { seed: number; [option: string]: unknown }): Benchmark {
  if (!isBenchmarkName(name)) {
    throw new FsmtlError(`unknown benchmark '${name}' (known: ${BENCHMARK_NAMES.join(', ')})`);
  }
  const entry = REGISTRY[name];
  for (const [k, v] of Object.entries(opts)) {
    if (v !== undefined && !entry.options.includes(k)) {
      throw new FsmtlError(`benchmark '${name}' has no option '${k}' (options: ${entry.options.join(', ')})`);
    }
  }
  return (entry.build as (o: typeof opts) => Benchmark)(opts);
}
