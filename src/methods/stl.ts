import { denseSharing, type MethodFactory } from './types.js';

/** STL: single-task learning, one extractor copy per task, trained with the same budget. */
export const stl: MethodFactory = () => ({
  name: 'stl',
  summary: 'one network per task',
  separateTowers: true,
  ...denseSharing,
});
