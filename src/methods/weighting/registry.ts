// The weighting methods by name.
import { FsmtlError } from '../../util/errors.js';
import { cagradWeighting } from './cagrad.js';
import { dwaWeighting } from './dwa.js';
import { ewWeighting } from './ew.js';
import { gradnormWeighting } from './gradnorm.js';
import { mgdaWeighting } from './mgda.js';
import { mgdaUbWeighting } from './mgda-ub.js';
import { nashWeighting } from './nash.js';
import { pcgradWeighting } from './pcgrad.js';
import { rgwWeighting } from './rgw.js';
import { rlwWeighting } from './rlw.js';
import { uwWeighting } from './uw.js';
import type { GradientWeighting, WeightingFactory, WeightingOptions } from './types.js';

/** Defaults from the papers: GradNorm α = 1.5 and lr 0.025, CAGrad c = 0.4, DWA temperature 2; Nash-MTL: at most 50 Newton steps (typically 5–15). */
export const DEFAULT_WEIGHTING_OPTIONS: Readonly<WeightingOptions> = Object.freeze({
  gradnormAlpha: 1.5,
  gradnormLr: 0.025,
  cagradC: 0.4,
  dwaTemperature: 2,
  nashMaxIter: 50,
});

export interface WeightingEntry {
  name: string;
  /** The paper's name (a report row is "MTL" + weighting → this label, or "FS+<label>"). */
  label: string;
  factory: WeightingFactory;
}

/** In the order of the paper's tables; `ew` (the mean) first. */
export const WEIGHTINGS: readonly WeightingEntry[] = [
  { name: 'ew', label: 'EW', factory: ewWeighting },
  { name: 'gradnorm', label: 'GradNorm', factory: gradnormWeighting },
  { name: 'mgda-ub', label: 'MGDA-UB', factory: mgdaUbWeighting },
  { name: 'mgda', label: 'MGDA', factory: mgdaWeighting },
  { name: 'pcgrad', label: 'PCGrad', factory: pcgradWeighting },
  { name: 'cagrad', label: 'CAGrad', factory: cagradWeighting },
  { name: 'rlw', label: 'RLW', factory: rlwWeighting },
  { name: 'rgw', label: 'RGW', factory: rgwWeighting },
  { name: 'nash', label: 'Nash-MTL', factory: nashWeighting },
  { name: 'uw', label: 'UW', factory: uwWeighting },
  { name: 'dwa', label: 'DWA', factory: dwaWeighting },
];

const BY_NAME = new Map(WEIGHTINGS.map((w) => [w.name, w]));

/** The registered method names, in the paper's order. */
export function weightingNames(): string[] {
  return WEIGHTINGS.map((w) => w.name);
}

/** A weighting's display label (its name in capitals when unknown). */
export function weightingLabel(name: string): string {
  return BY_NAME.get(name)?.label ?? name.toUpperCase();
}

/** The weighting method `name`, with options defaulted from DEFAULT_WEIGHTING_OPTIONS. */
export function createWeighting(name: string, opts: Partial<WeightingOptions> = {}): GradientWeighting {
  const factory = BY_NAME.get(name)?.factory;
  if (!factory) {
    throw new FsmtlError(`unknown weighting method '${name}' (known: ${weightingNames().join(', ')})`);
  }
  return factory({ ...DEFAULT_WEIGHTING_OPTIONS, ...opts });
}
