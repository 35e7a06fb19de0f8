import { initRoaming, roam, type RoamingState } from '../sparse/roaming.js';
import { keepCount } from '../sparse/topk.js';
import { layerUnits, unitMaskToParamMask } from '../sparse/unit-masks.js';
import { Rng } from '../util/rng.js';
import { keepMasks, newMasks, type MethodFactory, type SharingState } from './types.js';

interface MrState extends SharingState {
  roaming: RoamingState | null;
  /** Position of the run's 'mr-units' stream. */
  rng: number;
}

/**
 * MR, maximum roaming (Pascal et al., AAAI-21): unit subsets as in TR (p of each layer's units, jointly
 * covering every unit), which then roam: at the start of epochs 1..R every task swaps an equal share
 * of its units for ones it has not used yet, so that by epoch R each task has visited every unit;
 * from then on the subsets stay fixed. R = config.mr.roamingEpochs (default: half the training).
 * The original updates every few steps; epoch granularity keeps the trainer's one mask call per epoch.
 */
export const mr: MethodFactory = (config) => {
  const roamingEpochs = config.mr.roamingEpochs ?? Math.max(1, Math.ceil(config.epochs / 2));
  return {
    name: 'mr',
    summary: `maximum roaming, p = ${config.keep} of each layer's units, roaming over ${roamingEpochs} epoch(s)`,
    separateTowers: false,
    init: (): MrState => ({ masks: null, roaming: null, rng: Rng.derive(config.seed, 'mr-units').position }),
    masksFor(req, state: MrState) {
      const units = layerUnits(req.specs);
      const rng = Rng.at(state.rng);
      let roaming: RoamingState;
      if (!state.roaming) {
        roaming = initRoaming(units, req.numTasks, config.keep, rng);
      } else if (req.epoch >= 1 && req.epoch <= roamingEpochs) {
        const swaps = units.map((n) => Math.ceil((n - keepCount(n, config.keep)) / roamingEpochs));
        roaming = roam(state.roaming, swaps, rng);
      } else {
        return keepMasks(state);
      }
      const masks = roaming.active.map((u) => unitMaskToParamMask(req.specs, u));
      return newMasks(masks, { ...state, roaming, rng: rng.position });
    },
  };
};
