import { diversify, keepAt, normalizeByLayer, smoothScores, type Scores } from '../sparse/fisher-scores.js';
import { maskFromScores } from '../sparse/masks.js';
import type { MethodFactory } from './types.js';

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
  let smoothed: (Scores | null)[] = [];
  return {
    name: config.method === 'efs' ? 'efs' : 'fs',
    summary: `Fisher masks (${config.method === 'efs' ? 'exact' : o.label}), p = ${config.keep}`,
    separateTowers: false,
    masksFor(req) {
      if (req.epoch < o.warmupEpochs) return null;
      const annealing = o.schedule === 'anneal' && req.epoch - o.warmupEpochs + 1 < o.annealEpochs;
      if (req.current && !annealing && (req.epoch - o.warmupEpochs) % o.interval !== 0) return req.current;
      if (smoothed.length !== req.numTasks) smoothed = new Array(req.numTasks).fill(null);
      let scores = Array.from({ length: req.numTasks }, (_, t) => (smoothed[t] = smoothScores(smoothed[t], req.fisher(t), o.smoothing)));
      if (o.normalize === 'layer') scores = scores.map((s) => normalizeByLayer(req.specs, s));
      if (o.diversity > 0) scores = diversify(scores, o.diversity);
      const keep = keepAt(req.epoch, o.warmupEpochs, config.keep, o.schedule, o.annealEpochs);
      return scores.map((s) => maskFromScores(req.specs, s, keep, o.scope));
    },
  };
};
