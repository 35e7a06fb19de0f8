import { maskFromScores } from '../sparse/masks.js';
import type { MethodFactory } from './types.js';

/**
 * FS (Algorithms 1–2): dense warm-up, then at the start of every `interval`-th epoch each task's mask
 * becomes the top-K of its Fisher information over the shared parameters (Eq. 11).
 * EFS is the same with the exact Fisher of Eq. 9.
 */
export const fs: MethodFactory = (config) => ({
  name: config.method === 'efs' ? 'efs' : 'fs',
  summary: `Fisher masks (${config.method === 'efs' ? 'exact' : config.fs.label}), p = ${config.keep}`,
  separateTowers: false,
  masksFor(req) {
    const { warmupEpochs, interval, scope } = config.fs;
    if (req.epoch < warmupEpochs) return null;
    if (req.current && (req.epoch - warmupEpochs) % interval !== 0) return req.current;
    return Array.from({ length: req.numTasks }, (_, t) => maskFromScores(req.specs, req.fisher(t), config.keep, scope));
  },
});
