// Named FS configurations. A preset fills the FS options (and the keep ratio) that a config leaves unset;
// anything the config sets itself wins. docs/fs-ablation/ has the measurements behind each one.
import type { FsOptions } from './config.js';

export interface FsPreset {
  /** One line for --help and docs. */
  summary: string;
  keep: number;
  fs: Partial<FsOptions>;
}

export const FS_PRESET_NAMES = ['paper', 'recommended'] as const;
export type FsPresetName = (typeof FS_PRESET_NAMES)[number];

// The paper's literal reading (Algorithms 1-2, Eqs. 3-4, 10-11) with the settings of its MNIST-family runs,
// written out so that the preset keeps its meaning if a default ever changes.
const PAPER_FS: Partial<FsOptions> = {
  warmupEpochs: 2,
  interval: 1,
  samples: 256,
  label: 'predicted',
  scope: 'global',
  placement: 'forward',
  fisherNetwork: 'dense',
  schedule: 'fixed',
  normalize: 'none',
  diversity: 0,
  smoothing: 0,
};

export const FS_PRESETS: Record<FsPresetName, FsPreset> = {
  paper: {
    summary: "the paper's literal reading: global top-K of the empirical Fisher, mask in forward and update, 2 warm-up epochs, masks every epoch",
    keep: 0.3,
    fs: PAPER_FS,
  },
  // The best FS variant of the ablation (docs/fs-ablation.md) at p ≤ 0.5 by F1 averaged over hetero3 and
  // multimnist: masks limit only the updates (Eq. 4; the forward pass is dense), and each task's top-K favours
  // parameters the other tasks rank low (diversity 1). Within 0.1-0.5 F1 points of MTL, not above it, and no
  // sparse per-task model: with a dense forward pass a task predicts with the whole extractor.
  recommended: {
    summary: 'mask only the updates (dense forward), overlap control diversity 1, p = 0.5: the best FS variant measured, level with MTL (docs/fs-ablation.md)',
    keep: 0.5,
    fs: { ...PAPER_FS, placement: 'update', diversity: 1 },
  },
};

/** The config with the preset's values under its own (a config without a preset is returned unchanged). */
export function applyFsPreset(input: unknown): unknown {
  if (!input || typeof input !== 'object') return input;
  const c = input as { preset?: unknown; keep?: unknown; fs?: unknown };
  const preset = typeof c.preset === 'string' ? FS_PRESETS[c.preset as FsPresetName] : undefined;
  // Unknown names and a malformed fs block are reported by the schema.
  if (!preset || (c.fs !== undefined && (typeof c.fs !== 'object' || c.fs === null))) return input;
  const own = (c.fs ?? {}) as Record<string, unknown>;
  const fs = { ...preset.fs, ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) };
  return { ...c, keep: c.keep ?? preset.keep, fs };
}
