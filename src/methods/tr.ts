import { layerUnits, randomUnitMasks, unitMaskToParamMask } from '../sparse/unit-masks.js';
import { Rng } from '../util/rng.js';
import { keepMasks, newMasks, type MethodFactory, type SharingState } from './types.js';

/**
 * TR, task routing (Strezoski et al., ICCV-19): from the first step each task uses a fixed random
 * subset of every layer's units (p = keep ratio of units, as in the paper's Table 1), drawn once.
 */
export const tr: MethodFactory = (config) => ({
  name: 'tr',
  summary: `task routing, random unit subsets, p = ${config.keep} of each layer's units`,
  separateTowers: false,
  init: (): SharingState => ({ masks: null }),
  masksFor(req, state: SharingState) {
    if (state.masks) return keepMasks(state);
    const units = randomUnitMasks(layerUnits(req.specs), req.numTasks, config.keep, Rng.derive(config.seed, 'tr-units'));
    return newMasks(units.map((u) => unitMaskToParamMask(req.specs, u)), state);
  },
});
