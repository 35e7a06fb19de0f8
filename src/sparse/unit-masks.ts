// Unit masks: which output units (neurons of a dense layer, filters of a conv layer) a task uses.
// TR and MR route tasks through units rather than single weights. In a ReLU network, switching off
// unit j of a layer is the same as zeroing its incoming weights and bias (relu(0) = 0, and max-pooling a
// zero channel gives zero), so a unit mask becomes an ordinary parameter mask and reuses the whole
// masked forward/update machinery (Eqs. 3–4). Pure functions, no tensors.
import type { ParamSpec } from '../model/layers.js';
import { FsmtlError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { keepCount } from './topk.js';
import type { TaskMask } from './masks.js';

/** One Uint8Array per parametric layer, over its output units: 1 = the task uses the unit. */
export type UnitMask = Uint8Array[];

/** Output units of each parametric layer, in layer order (the last axis of every kernel and bias). */
export function layerUnits(specs: ParamSpec[]): number[] {
  const units: number[] = [];
  for (const s of specs) if (s.role === 'bias') units[s.layer] = s.size;
  return units;
}

/** The parameter mask that keeps exactly the incoming weights and biases of the kept units. */
export function unitMaskToParamMask(specs: ParamSpec[], units: UnitMask): TaskMask {
  return specs.map((s) => {
    const u = units[s.layer];
    const width = s.shape[s.shape.length - 1];
    if (!u || u.length !== width) {
      throw new FsmtlError(`unit mask for layer ${s.layer} has ${u?.length ?? 0} units, parameter '${s.name}' has ${width}`);
    }
    const out = new Uint8Array(s.size);
    // Row-major: the unit of element e is e mod width.
    for (let e = 0; e < s.size; e++) out[e] = u[e % width];
    return out;
  });
}

/** k distinct indices of [0, n), uniformly at random, as a 0/1 mask. */
export function randomSubset(n: number, k: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(n);
  const order = rng.permutation(n);
  for (let i = 0; i < k; i++) mask[order[i]] = 1;
  return mask;
}

/** TR (task routing): a fixed uniformly random unit subset per task and layer at keep ratio p. */
export function randomUnitMasks(units: number[], numTasks: number, keep: number, rng: Rng): UnitMask[] {
  return Array.from({ length: numTasks }, () => units.map((n) => randomSubset(n, keepCount(n, keep), rng)));
}
