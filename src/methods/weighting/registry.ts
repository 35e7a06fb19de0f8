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

const FACTORIES: Record<string, WeightingFactory> = {
  ew: ewWeighting,
  mgda: mgdaWeighting,
  'mgda-ub': mgdaUbWeighting,
  pcgrad: pcgradWeighting,
  cagrad: cagradWeighting,
  rlw: rlwWeighting,
  rgw: rgwWeighting,
  nash: nashWeighting,
  uw: uwWeighting,
  dwa: dwaWeighting,
  gradnorm: gradnormWeighting,
};

/** The registered method names, in a fixed order. */
export function weightingNames(): string[] {
  return Object.keys(FACTORIES);
}

/** The weighting method `name`, with options defaulted from DEFAULT_WEIGHTING_OPTIONS. */
export function createWeighting(name: string, opts: Partial<WeightingOptions> = {}): GradientWeighting {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!factory) {
    throw new FsmtlError(`unknown weighting method '${name}' (known: ${weightingNames().join(', ')})`);
  }
  return factory({ ...DEFAULT_WEIGHTING_OPTIONS, ...opts });
}
