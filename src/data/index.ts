// Data: file readers (IDX, npy/npz), dataset loaders and the benchmarks built from them.
import { FsmtlError } from '../util/errors.js';
import { buildHetero3, type Hetero3Options } from './hetero3.js';
import { buildMultiMnist, type MultiMnistOptions } from './multimnist.js';
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
export { loadDataManifest, dataManifestHash, manifestSchema, DEFAULT_TEST_FRACTION, type DataManifest } from './manifest.js';
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
}
export type BenchmarkName = keyof BenchmarkOptionsByName;

interface Entry {
  build: (opts: never) => Benchmark;
  options: string[];
  describe: string;
}

const REGISTRY: Record<BenchmarkName, Entry> = {
  hetero3: {
    build: buildHetero3,
    options: ['dataDir', 'seed', 'trainPerTask', 'testPerTask'],
    describe: 'MNIST + KMNIST + Fashion-MNIST, 3 heterogeneous 10-class tasks',
  },
  multimnist: {
    build: buildMultiMnist,
    options: ['dataDir', 'seed', 'trainSize', 'testSize', 'canvas', 'dataSeed'],
    describe: 'MultiMNIST, 2 homogeneous 10-class tasks (left, right digit)',
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
