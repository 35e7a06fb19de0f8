// Methods by name. Adding a method means adding a file and a line here; the trainer does not change.
import { FsmtlError } from '../util/errors.js';
import type { TrainConfig } from '../train/config.js';
import { fs } from './fs.js';
import { mr } from './mr.js';
import { mtl } from './mtl.js';
import { rs } from './rs.js';
import { se } from './se.js';
import { stl } from './stl.js';
import { tr } from './tr.js';
import type { MethodFactory, SharingMethod } from './types.js';

const registry: Record<string, MethodFactory> = { fs, efs: fs, mtl, stl, rs, tr, mr, se };

export function methodNames(): string[] {
  return Object.keys(registry);
}

export function createMethod(config: TrainConfig): SharingMethod {
  const factory = registry[config.method];
  if (!factory) throw new FsmtlError(`unknown method '${config.method}' (known: ${methodNames().join(', ')})`);
  return factory(config);
}
