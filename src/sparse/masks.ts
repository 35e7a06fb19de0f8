// Task masks S_t over the shared parameters: one Uint8Array per parameter tensor.
import type { ParamSpec } from '../model/layers.js';
import { Rng } from '../util/rng.js';
import { keepCount, topKMask } from './topk.js';

export type TaskMask = Uint8Array[];

/**
 * 'global': one top-K over every shared parameter (the paper's reading of Eq. 11);
 * 'layer':  top-K inside each parametric layer (kernel and bias together), at the same keep ratio;
 * 'unit':   top-K inside each output unit's parameters (its incoming weights and bias), so that every
 *           unit keeps the same fraction of its inputs.
 */
export type SelectionScope = 'global' | 'layer' | 'unit';

function concat(parts: ArrayLike<number>[], size: number): Float32Array {
  const out = new Float32Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function split(flat: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  for (const s of sizes) {
    out.push(flat.slice(o, o + s));
    o += s;
  }
  return out;
}

/** Mask from per-parameter scores (Fisher values, or random numbers for RS). */
export function maskFromScores(specs: ParamSpec[], scores: Float32Array[], keep: number, scope: SelectionScope): TaskMask {
  if (scope === 'global') {
    const total = specs.reduce((a, s) => a + s.size, 0);
    const flat = concat(scores, total);
    return split(topKMask(flat, keepCount(total, keep)), specs.map((s) => s.size));
  }
  if (scope === 'unit') return unitScopeMask(specs, scores, keep);
  const out: TaskMask = new Array(specs.length);
  const layers = [...new Set(specs.map((s) => s.layer))];
  for (const layer of layers) {
    const idx = specs.map((s, i) => (s.layer === layer ? i : -1)).filter((i) => i >= 0);
    const size = idx.reduce((a, i) => a + specs[i].size, 0);
    const flat = concat(idx.map((i) => scores[i]), size);
    const parts = split(topKMask(flat, keepCount(size, keep)), idx.map((i) => specs[i].size));
    idx.forEach((i, j) => (out[i] = parts[j]));
  }
  return out;
}

/** Top-K inside each output unit: unit j of a layer owns kernel elements e with e mod units = j, and bias j. */
function unitScopeMask(specs: ParamSpec[], scores: Float32Array[], keep: number): TaskMask {
  const out: TaskMask = specs.map((s) => new Uint8Array(s.size));
  const layers = [...new Set(specs.map((s) => s.layer))];
  for (const layer of layers) {
    const k = specs.findIndex((s) => s.layer === layer && s.role === 'kernel');
    const b = specs.findIndex((s) => s.layer === layer && s.role === 'bias');
    const units = specs[b].size;
    const fanIn = specs[k].size / units;
    const group = new Float32Array(fanIn + 1);
    for (let j = 0; j < units; j++) {
      for (let i = 0; i < fanIn; i++) group[i] = scores[k][i * units + j];
      group[fanIn] = scores[b][j];
      const m = topKMask(group, keepCount(fanIn + 1, keep));
      for (let i = 0; i < fanIn; i++) out[k][i * units + j] = m[i];
      out[b][j] = m[fanIn];
    }
  }
  return out;
}

/** RS: a uniformly random mask with the same number of kept parameters as FS at this keep ratio. */
export function randomMask(specs: ParamSpec[], keep: number, scope: SelectionScope, rng: Rng): TaskMask {
  const scores = specs.map((s) => {
    const r = new Float32Array(s.size);
    for (let i = 0; i < r.length; i++) r[i] = rng.next();
    return r;
  });
  return maskFromScores(specs, scores, keep, scope);
}
