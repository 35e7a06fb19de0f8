import { diversify, keepAt, normalizeByLayer, smoothScores, type Scores } from '../sparse/fisher-scores.js';
import { maskFromScores } from '../sparse/masks.js';
import { keepMasks, newMasks, type MethodFactory, type SharingState } from './types.js';

interface FsState extends SharingState {
  /** Each task's Fisher scores as smoothed over recomputes (null before the first; see fs.smoothing). */
  smoothed: (Scores | null)[];
}

/**
 * FS (Algorithms 1–2): dense warm-up, then at the start of every `interval`-th epoch each task's mask
 * becomes the top-K of its Fisher information over the shared parameters (Eq. 11).
 * EFS is the same with the exact Fisher of Eq. 9.
 * Options the paper leaves open (config.fs; defaults = the paper's literal reading): Fisher smoothing
 * across recomputes, per-layer normalisation, overlap control between tasks, a keep-ratio schedule,
 * and the selection scope. They are applied in that order.
 */
export const fs: MethodFactory = (config) => {
  const o = config.fs;
  return {
    name: config.method === 'efs' ? 'efs' : 'fs',
    summary: `Fisher masks (${config.method === 'efs' ? 'exact' : o.label}), p = ${config.keep}`,
    separateTowers: false,
    init: (numTasks): FsState => ({ masks: null, smoothed: new Array(numTasks).fill(null) }),
    masksFor(req, state: FsState) {
      if (req.epoch < o.warmupEpochs) return keepMasks(state);
      const annealing = o.schedule === 'anneal' && req.epoch - o.warmupEpochs + 1 < o.annealEpochs;
      if (state.masks && !annealing && (req.epoch - o.warmupEpochs) % o.interval !== 0) return keepMasks(state);
      const smoothed = Array.from({ length: req.numTasks }, (_, t) => smoothScores(state.smoothed[t] ?? null, req.fisher(t), o.smoothing));
      let scores = smoothed;
      if (o.normalize === 'layer') scores = scores.map((s) => normalizeByLayer(req.specs, s));
      if (o.diversity > 0) scores = diversify(scores, o.diversity);
      const keep = keepAt(req.epoch, o.warmupEpochs, config.keep, o.schedule, o.annealEpochs);
      return newMasks(
        scores.map((s) => maskFromScores(req.specs, s, keep, o.scope)),
        { ...state, smoothed },
      );
    },
  };
};
