import { randomMask } from '../sparse/masks.js';
import { Rng } from '../util/rng.js';
import { keepMasks, newMasks, type MethodFactory, type SharingState } from './types.js';

interface RsState extends SharingState {
  /** Position of the run's 'rs-masks' stream. */
  rng: number;
}

/**
 * RS: random sparse sharing. Each task draws a uniformly random mask at the same keep ratio and scope
 * as FS, at the same moment FS computes its first mask (end of the warm-up), and keeps it: the same
 * schedule and budget as FS, with chance in place of Fisher information.
 */
export const rs: MethodFactory = (config) => ({
  name: 'rs',
  summary: `random masks, p = ${config.keep}`,
  separateTowers: false,
  init: (): RsState => ({ masks: null, rng: Rng.derive(config.seed, 'rs-masks').position }),
  masksFor(req, state: RsState) {
    if (req.epoch < config.fs.warmupEpochs || state.masks) return keepMasks(state);
    const rng = Rng.at(state.rng);
    const masks = Array.from({ length: req.numTasks }, () => randomMask(req.specs, config.keep, config.fs.scope, rng));
    return newMasks(masks, { ...state, rng: rng.position });
  },
});
