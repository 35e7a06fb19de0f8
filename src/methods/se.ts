import { squeezeExcitation } from '../model/squeeze-excitation.js';
import { denseSharing, type MethodFactory } from './types.js';

/**
 * SE (Maninis et al., CVPR-19): the whole extractor is shared (no masks), and every task owns a
 * squeeze-and-excitation block after each shared layer that rescales the layer's units for that task.
 */
export const se: MethodFactory = (config) => ({
  name: 'se',
  summary: `task-specific squeeze-and-excitation blocks (reduction ${config.se.reduction})`,
  separateTowers: false,
  adapter: squeezeExcitation(config.se.reduction),
  ...denseSharing,
});
