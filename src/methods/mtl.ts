import { denseSharing, type MethodFactory } from './types.js';

/** MTL: hard parameter sharing, equal loss weights, every task uses the whole extractor. */
export const mtl: MethodFactory = () => ({
  name: 'mtl',
  summary: 'hard sharing, equal weights',
  separateTowers: false,
  ...denseSharing,
});
