// The task-owned modules of a run inside the shared network: its architecture's (gates, task experts,
// attention, cross-stitch rows), or its sharing method's (SE's blocks), or none. Trainer, checkpoints and
// prediction all take them from here, so that a model is rebuilt exactly as it was trained.
import type { TaskAdapter } from '../model/adapters.js';
import { architectureEntry } from '../model/architectures/registry.js';
import type { TrainConfig } from '../train/config.js';
import { createMethod } from './registry.js';

export function taskAdapterOf(config: TrainConfig): TaskAdapter | null {
  // Configs written before architectures existed have none: hard parameter sharing.
  const arch = architectureEntry(config.architecture ?? 'hps').create(config.architectureOptions);
  return arch ?? createMethod(config).adapter ?? null;
}
