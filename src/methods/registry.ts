// Sharing methods by name: one entry each holds everything fsmtl knows about a method (its factory,
// display label, summary and traits). Configs, CLI choices, experiment specs, the store's row order,
// checkpoints and report labels all derive from these entries, so that adding a method means adding
// its file and one entry here. The order is the paper's (Tables 1–2).
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

export interface MethodTraits {
  /** Has a keep ratio p that experiments sweep (of the shared parameters, or of each layer's units). */
  keep: boolean;
  /** Each task owns a mask over the shared parameters (checkpoints hold them). */
  masked: boolean;
  /** One extractor per task: nothing is shared, so no weighting applies. */
  separateTowers: boolean;
  /** The paper's p column: the keep ratio, "1.0" for dense sharing, "-" for no pruned shared extractor. */
  pColumn: 'keep' | 'dense' | 'none';
  /** Uses the FS options (config.fs: warm-up, Fisher, placement...). */
  fsOptions: boolean;
}

export interface MethodEntry {
  name: string;
  /** The paper's name for it, also the row name of the published tables. */
  label: string;
  summary: string;
  traits: MethodTraits;
  factory: MethodFactory;
}

const dense = { keep: false, masked: false, separateTowers: false, pColumn: 'dense', fsOptions: false } as const;
const masked = { keep: true, masked: true, separateTowers: false, pColumn: 'keep', fsOptions: false } as const;

export const METHODS: readonly MethodEntry[] = [
  { name: 'stl', label: 'STL', summary: 'single-task learning: one network per task', traits: { ...dense, separateTowers: true, pColumn: 'none' }, factory: stl },
  { name: 'mtl', label: 'MTL', summary: 'hard sharing: every task uses the whole extractor', traits: dense, factory: mtl },
  { name: 'se', label: 'SE', summary: 'hard sharing with task-specific squeeze-and-excitation blocks', traits: { ...dense, pColumn: 'none' }, factory: se },
  { name: 'tr', label: 'TR', summary: "task routing: a fixed random subset of each layer's units per task", traits: masked, factory: tr },
  { name: 'mr', label: 'MR', summary: 'maximum roaming: unit subsets that roam until every task used every unit', traits: masked, factory: mr },
  { name: 'rs', label: 'RS', summary: 'random masks at the keep ratio and schedule of FS', traits: { ...masked, fsOptions: true }, factory: rs },
  { name: 'fs', label: 'FS', summary: 'Fisher sparse: masks from the empirical Fisher information (Eq. 10)', traits: { ...masked, fsOptions: true }, factory: fs },
  { name: 'efs', label: 'EFS', summary: 'FS with the exact Fisher information (Eq. 9)', traits: { ...masked, fsOptions: true }, factory: fs },
];

const BY_NAME = new Map(METHODS.map((m) => [m.name, m]));

export function methodNames(): string[] {
  return METHODS.map((m) => m.name);
}

/** The entry of a method, or an error listing the known ones. */
export function methodEntry(name: string): MethodEntry {
  const e = BY_NAME.get(name);
  if (!e) throw new FsmtlError(`unknown method '${name}' (known: ${methodNames().join(', ')})`);
  return e;
}

/** A method's traits (see MethodTraits). */
export function methodTraits(name: string): MethodTraits {
  return methodEntry(name).traits;
}

export function createMethod(config: TrainConfig): SharingMethod {
  return methodEntry(config.method).factory(config);
}
