// The weighting methods by name.
import { FsmtlError } from '../../util/errors.js';
import { alignedMtlWeighting } from './aligned-mtl.js';
import { cagradWeighting } from './cagrad.js';
import { dbMtlWeighting } from './db-mtl.js';
import { dwaWeighting } from './dwa.js';
import { ewWeighting } from './ew.js';
import { fairgradWeighting } from './fairgrad.js';
import { famoWeighting } from './famo.js';
import { graddropWeighting } from './graddrop.js';
import { gradnormWeighting } from './gradnorm.js';
import { gradvacWeighting } from './gradvac.js';
import { imtlWeighting } from './imtl.js';
import { mgdaWeighting } from './mgda.js';
import { mgdaUbWeighting } from './mgda-ub.js';
import { mocoWeighting } from './moco.js';
import { nashWeighting } from './nash.js';
import { pcgradWeighting } from './pcgrad.js';
import { rgwWeighting } from './rgw.js';
import { rlwWeighting } from './rlw.js';
import { stchWeighting } from './stch.js';
import { upgradWeighting } from './upgrad.js';
import { uwWeighting } from './uw.js';
import type { GradientWeighting, WeightingFactory, WeightingOptions } from './types.js';

/**
 * Defaults from the papers: GradNorm α = 1.5 and lr 0.025, CAGrad c = 0.4, DWA temperature 2; Nash-MTL: at
 * most 50 Newton steps (typically 5–15). The later ones (GradVac to MoCo) take LibMTL's defaults, except
 * UPGrad's normEps (see upgrad.ts).
 */
export const DEFAULT_WEIGHTING_OPTIONS: Readonly<WeightingOptions> = Object.freeze({
  gradnormAlpha: 1.5,
  gradnormLr: 0.025,
  cagradC: 0.4,
  dwaTemperature: 2,
  nashMaxIter: 50,
  gradvacBeta: 0.5,
  famoLr: 0.025,
  famoGamma: 1e-3,
  dbmtlBeta: 0.9,
  dbmtlBetaSigma: 0,
  fairgradAlpha: 1,
  stchMu: 1,
  stchWarmupEpochs: 4,
  upgradNormEps: 0,
  upgradRegEps: 1e-4,
  graddropLeak: 0,
  mocoBeta: 0.5,
  mocoBetaSigma: 0.5,
  mocoGamma: 0.1,
  mocoGammaSigma: 0.5,
  mocoRho: 0,
});

export interface WeightingEntry {
  name: string;
  /** The paper's name (a report row is "MTL" + weighting → this label, or "FS+<label>"). */
  label: string;
  factory: WeightingFactory;
}

/** In the order of the paper's tables; `ew` (the mean) first; then the later methods of issue #18. */
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
  { name: 'imtl', label: 'IMTL', factory: imtlWeighting },
  { name: 'gradvac', label: 'GradVac', factory: gradvacWeighting },
  { name: 'aligned-mtl', label: 'Aligned-MTL', factory: alignedMtlWeighting },
  { name: 'famo', label: 'FAMO', factory: famoWeighting },
  { name: 'db-mtl', label: 'DB-MTL', factory: dbMtlWeighting },
  { name: 'fairgrad', label: 'FairGrad', factory: fairgradWeighting },
  { name: 'stch', label: 'STCH', factory: stchWeighting },
  { name: 'upgrad', label: 'UPGrad', factory: upgradWeighting },
  { name: 'graddrop', label: 'GradDrop', factory: graddropWeighting },
  { name: 'moco', label: 'MoCo', factory: mocoWeighting },
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
  // Options left undefined (the config's optional ones) take their defaults.
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  return factory({ ...DEFAULT_WEIGHTING_OPTIONS, ...given });
}
