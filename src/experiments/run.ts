// The typed API behind the CLI: validate a config, load its benchmark, train, return the result.
import type { Benchmark } from '../data/types.js';
import { benchmarkFromSettings } from '../data/index.js';
import { withDataHash } from './spec.js';
import { FsmtlError } from '../util/errors.js';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../train/config.js';
import { train, trainModel, type TrainedModel, type TrainOptions, type TrainResult } from '../train/trainer.js';

const benchmarkCache = new Map<string, Benchmark>();

/** The benchmark a config asks for. Data splits do not depend on the run seed, so runs share one copy. */
export function benchmarkFor(config: TrainConfig): Benchmark {
  const key = JSON.stringify([config.benchmark, config.dataDir, config.data, config.trainPerTask, config.testPerTask, config.trainSize, config.attributes, config.imageSize]);
  let b = benchmarkCache.get(key);
  if (!b) {
    b = benchmarkFromSettings(config);
    benchmarkCache.set(key, b);
  }
  // A run planned on other data must not train on what the files hold now.
  if (config.dataHash !== undefined && b.dataHash !== config.dataHash) {
    throw new FsmtlError(`${config.data}: the data changed since this run was planned (content hash ${b.dataHash}, planned ${config.dataHash}); plan it again`);
  }
  return b;
}

/** Train one configuration (validated first: invalid input throws an FsmtlError naming the field). */
export async function runTraining(input: TrainConfigInput | TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const config = withDataHash(parseTrainConfig(input));
  return train(config, benchmarkFor(config), opts);
}

/** As runTraining, but also hands back the trained model and masks (e.g. for saveCheckpoint); dispose() the model. */
export async function runTrainingWithModel(input: TrainConfigInput | TrainConfig, opts: TrainOptions = {}): Promise<TrainedModel> {
  const config = withDataHash(parseTrainConfig(input));
  return trainModel(config, benchmarkFor(config), opts);
}

/** Train several methods on one benchmark with otherwise identical settings (same data, seed and budget). */
export async function compareMethods(
  base: TrainConfigInput,
  methods: TrainConfig['method'][],
  seeds: number[],
  opts: { onStart?: (config: TrainConfig) => TrainOptions } = {},
): Promise<TrainResult[]> {
  const results: TrainResult[] = [];
  for (const seed of seeds) {
    for (const method of methods) {
      const config = parseTrainConfig({ ...base, method, seed });
      results.push(await train(config, benchmarkFor(config), opts.onStart?.(config) ?? {}));
    }
  }
  return results;
}
