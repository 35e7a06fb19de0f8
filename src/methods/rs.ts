import { randomMask } from '../sparse/masks.js';
import { Rng } from '../util/rng.js';
import type { MethodFactory } from './types.js';

/**
 * RS: random sparse sharing. Each task draws a uniformly random mask at the same keep ratio and scope
 * as FS, at the same moment FS computes its first mask (end of the warm-up), and keeps it: the same
 * schedule and budget as FS, with chance in place of Fisher information.
 */
export const rs: MethodFactory = (config) => {
  const rng = Rng.derive(config.seed, 'rs-masks');
  return {
    name: 'rs',
    summary: `random masks, p = ${config.keep}`,
    separateTowers: false,
    masksFor(req) {
      if (req.epoch < config.fs.warmupEpochs) return null;
      if (req.current) return req.current;
      return Array.from({ length: req.numTasks }, () => randomMask(req.specs, config.keep, config.fs.scope, rng));
    },
  };
};
