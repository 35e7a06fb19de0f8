// hetero3: a heterogeneous three-task benchmark; each task has its own 28×28 grayscale images.
//   'digits'    MNIST          official train / test splits
//   'kuzushiji' KMNIST         only its 10k test split is available, so it is split in two (below)
//   'fashion'   Fashion-MNIST  official train / test splits
//
// Which examples are used depends only on FIXED data seeds, never on the run seed: the run seed is
// for model initialisation and batch order, and every run must train and test on the same examples.
// - KMNIST split: class by class, 20% of the 10k test split (200 per class, 2000 in all) become the
//   kuzushiji test part and the other 80% (8000) the training part, chosen with
//   Rng.derive(KMNIST_SPLIT_SEED, 'kmnist/split'). The two parts are disjoint.
// - trainPerTask / testPerTask: a class-stratified subset (class proportions of the source kept,
//   largest-remainder rounding) of each task's training / test part, chosen with
//   Rng.derive(HETERO3_DATA_SEED, 'hetero3/<task>/<train|test>'), in ascending source order.
import { FsmtlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { classHistogram } from './labels.js';
import { checkCount, checkInteger, expect28, gatherSplit, stratifiedSample, stratifiedSplit } from './select.js';
import { loadFashionMnist, loadKmnist, loadMnist, resolveDataDir, type ImageSet } from './sources.js';
import { TEN_CLASSES, type Benchmark, type TaskData } from './types.js';
import { realpathSync } from '../util/fs.js';

export interface Hetero3Options {
  /** Data directory (default: resolveDataDir()). */
  dataDir?: string;
  /** Run seed; recorded, but it does not change the data (see above). */
  seed: number;
  /** Training examples per task (default 8000, at most 8000 because of KMNIST). */
  trainPerTask?: number;
  /** Test examples per task (default 2000, at most 2000 because of KMNIST). */
  testPerTask?: number;
}

/** Fixed seed of the KMNIST train/test split. Never change it: it defines the kuzushiji test set. */
export const KMNIST_SPLIT_SEED = 2018;
/** Fraction of KMNIST's 10k test split used as the kuzushiji test part (per class). */
export const KMNIST_TEST_FRACTION = 0.2;
/** Fixed seed of the per-task train/test subsets. */
export const HETERO3_DATA_SEED = 0;

interface TaskSource {
  name: string;
  dataset: string;
  train: ImageSet;
  test: ImageSet;
  trainPool?: Int32Array;
  testPool?: Int32Array;
  origin: string;
}

export function buildHetero3(opts: Hetero3Options): Benchmark {
  const seed = checkInteger(opts.seed, 'seed');
  const dir = resolveDataDir(opts.dataDir);
  const mnist = loadMnist(dir);
  const kmnist = loadKmnist(dir);
  const fashion = loadFashionMnist(dir);
  for (const s of [mnist.train, mnist.test, kmnist.test, fashion.train, fashion.test]) expect28(s, 'hetero3');

  // Files given directly in the data directory have the same names for MNIST and Fashion-MNIST.
  if (realpathSync(mnist.train.imagesFile) === realpathSync(fashion.train.imagesFile)) {
    throw new FsmtlError(
      `MNIST and Fashion-MNIST both resolve to ${mnist.train.imagesFile}; put them in ${dir}/mnist/ and ${dir}/fashion-mnist/`,
    );
  }

  const kSplit = stratifiedSplit(kmnist.test.labels, 10, KMNIST_TEST_FRACTION, Rng.derive(KMNIST_SPLIT_SEED, 'kmnist/split'));
  const sources: TaskSource[] = [
    {
      name: 'digits',
      dataset: 'MNIST',
      train: mnist.train,
      test: mnist.test,
      origin: `official train (${mnist.train.imagesFile}, ${mnist.train.n}) and test (${mnist.test.imagesFile}, ${mnist.test.n}) splits`,
    },
    {
      name: 'kuzushiji',
      dataset: 'KMNIST',
      train: kmnist.test,
      test: kmnist.test,
      trainPool: kSplit.train,
      testPool: kSplit.test,
      origin:
        `test split only (${kmnist.test.imagesFile}, ${kmnist.test.n}), split class by class into ` +
        `${kSplit.train.length} train / ${kSplit.test.length} test (${KMNIST_TEST_FRACTION * 100}% per class) ` +
        `with fixed seed ${KMNIST_SPLIT_SEED}, independent of the run seed`,
    },
    {
      name: 'fashion',
      dataset: 'Fashion-MNIST',
      train: fashion.train,
      test: fashion.test,
      origin: `official train (${fashion.train.imagesFile}, ${fashion.train.n}) and test (${fashion.test.imagesFile}, ${fashion.test.n}) splits`,
    },
  ];

  const avail = (s: TaskSource, which: 'train' | 'test') =>
    (which === 'train' ? s.trainPool?.length ?? s.train.n : s.testPool?.length ?? s.test.n);
  const limit = (which: 'train' | 'test') => {
    const min = sources.reduce((a, s) => (avail(s, which) < avail(a, which) ? s : a));
    return { max: avail(min, which), why: `${which} examples available for task '${min.name}' (${min.dataset})` };
  };
  const tl = limit('train');
  const trainPerTask = checkCount(opts.trainPerTask ?? 8000, 'trainPerTask', tl.max, tl.why);
  const vl = limit('test');
  const testPerTask = checkCount(opts.testPerTask ?? 2000, 'testPerTask', vl.max, vl.why);

  const provenance = [
    `hetero3: 3 heterogeneous tasks (digits = MNIST, kuzushiji = KMNIST, fashion = Fashion-MNIST), 10 classes each, ` +
      `28×28×1 grayscale, pixels x/255 in [0, 1]; data directory ${dir}`,
  ];
  const tasks: TaskData[] = sources.map((s) => {
    const trainIdx = stratifiedSample(s.train.labels, 10, trainPerTask, Rng.derive(HETERO3_DATA_SEED, `hetero3/${s.name}/train`), s.trainPool);
    const testIdx = stratifiedSample(s.test.labels, 10, testPerTask, Rng.derive(HETERO3_DATA_SEED, `hetero3/${s.name}/test`), s.testPool);
    const train = gatherSplit(s.train, trainIdx);
    const test = gatherSplit(s.test, testIdx);
    provenance.push(
      `${s.name}: ${s.dataset} ${s.origin}; class-stratified subsets of ${trainPerTask} train ` +
        `[${classHistogram(train.y, 10).join(' ')}] and ${testPerTask} test [${classHistogram(test.y, 10).join(' ')}]`,
    );
    return { name: s.name, spec: TEN_CLASSES, train, test };
  });
  provenance.push(
    `subsets chosen with fixed data seed ${HETERO3_DATA_SEED} (KMNIST split seed ${KMNIST_SPLIT_SEED}); ` +
      `the run seed (${seed}) does not affect which examples are used`,
  );
  return { name: 'hetero3', kind: 'heterogeneous', inputShape: [28, 28, 1], tasks, provenance };
}
