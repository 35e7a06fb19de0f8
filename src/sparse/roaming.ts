// Maximum Roaming (Pascal et al., AAAI-21): each task starts on a random unit subset at keep ratio p,
// chosen so that together the tasks cover every unit; then, at each update, every task swaps some of
// its units for units it has never used, until it has visited them all. After that its subset is fixed.
// Pure state machine over unit masks; the MR sharing method decides when to call update().
import type { Rng } from '../util/rng.js';
import { keepCount } from './topk.js';
import type { UnitMask } from './unit-masks.js';

export interface RoamingState {
  /** active[t][l]: the units task t uses in layer l now. */
  active: UnitMask[];
  /** visited[t][l]: the units task t has ever used. */
  visited: UnitMask[];
}

function indicesWhere(mask: Uint8Array, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === value) out.push(i);
  return out;
}

/**
 * Initial subsets: unit u first goes to task u mod T (so the tasks jointly cover every unit whenever
 * p·n ≥ ⌈n/T⌉), then each task is filled up to its p·n units at random.
 */
export function initRoaming(units: number[], numTasks: number, keep: number, rng: Rng): RoamingState {
  const active = Array.from({ length: numTasks }, (_, t) =>
    units.map((n) => {
      const k = keepCount(n, keep);
      const mask = new Uint8Array(n);
      let used = 0;
      for (let u = t; u < n && used < k; u += numTasks, used++) mask[u] = 1;
      const free = indicesWhere(mask, 0);
      for (let i = 0; used < k; i++, used++) {
        const j = i + rng.int(free.length - i);
        [free[i], free[j]] = [free[j], free[i]];
        mask[free[i]] = 1;
      }
      return mask;
    }),
  );
  return { active, visited: active.map((m) => m.map((l) => l.slice())) };
}

/**
 * One roaming update: in every layer, each task drops up to `swaps[l]` random active units and takes
 * as many random units it has not visited yet. Returns a new state; the old one is not changed.
 */
export function roam(state: RoamingState, swaps: number[], rng: Rng): RoamingState {
  const active = state.active.map((m) => m.map((l) => l.slice()));
  const visited = state.visited.map((m) => m.map((l) => l.slice()));
  active.forEach((layers, t) =>
    layers.forEach((mask, l) => {
      const fresh = indicesWhere(visited[t][l], 0);
      const on = indicesWhere(mask, 1);
      const n = Math.min(swaps[l], fresh.length, on.length);
      for (let i = 0; i < n; i++) {
        const a = i + rng.int(on.length - i);
        [on[i], on[a]] = [on[a], on[i]];
        const b = i + rng.int(fresh.length - i);
        [fresh[i], fresh[b]] = [fresh[b], fresh[i]];
        mask[on[i]] = 0;
        mask[fresh[i]] = 1;
        visited[t][l][fresh[i]] = 1;
      }
    }),
  );
  return { active, visited };
}

/** True when every task has used every unit of every layer. */
export function roamingDone(state: RoamingState): boolean {
  return state.visited.every((layers) => layers.every((v) => v.every((x) => x === 1)));
}
