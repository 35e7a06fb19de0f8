// Multi-task architectures by name: how the shared network is laid out, orthogonal to the sharing
// method (which masks θsh: mtl none, fs Fisher masks...) and to the gradient weighting (which combines
// the tasks' gradients on θsh). Configs (`architecture`), CLI choices, experiment rows and report labels
// derive from these entries. docs/architectures.md defines each and says what is θsh and what a task owns.
import type { TaskAdapter } from '../adapters.js';
import { FsmtlError } from '../../util/errors.js';
import { cgc } from './cgc.js';
import { crossStitch } from './cross-stitch.js';
import { dselectK } from './dselect-k.js';
import { mmoe } from './mmoe.js';
import { mtan } from './mtan.js';
import { ple } from './ple.js';

export interface ArchitectureOptions {
  /** MMoE and DSelect-k: shared experts. */
  experts: number;
  /** CGC and PLE: shared experts, and each task's own experts. */
  sharedExperts: number;
  taskExperts: number;
  /** DSelect-k: selectors k per gate, and the smooth-step's width γ. */
  selectors: number;
  gamma: number;
}

export interface ArchitectureEntry {
  name: string;
  /** The name in papers and tables. */
  label: string;
  summary: string;
  /** The task modules and shared network; null for hard parameter sharing (the extractor itself). */
  create(o: ArchitectureOptions): TaskAdapter | null;
}

export const ARCHITECTURES: readonly ArchitectureEntry[] = [
  { name: 'hps', label: 'HPS', summary: 'hard parameter sharing: one extractor shared by every task', create: () => null },
  { name: 'cross-stitch', label: 'Cross-stitch', summary: 'a column per task, mixed after every layer by learned cross-stitch units (Misra et al. 2016)', create: () => crossStitch() },
  { name: 'mmoe', label: 'MMoE', summary: 'shared experts mixed by a softmax gate per task (Ma et al. 2018)', create: (o) => mmoe(o.experts) },
  { name: 'cgc', label: 'CGC', summary: 'shared and task-specific experts, a gate per task (Tang et al. 2020)', create: (o) => cgc(o.sharedExperts, o.taskExperts) },
  { name: 'ple', label: 'PLE', summary: 'CGC at every layer: progressive layered extraction (Tang et al. 2020)', create: (o) => ple(o.sharedExperts, o.taskExperts) },
  { name: 'dselect-k', label: 'DSelect-k', summary: 'MMoE with differentiable top-k expert selection (Hazimeh et al. 2021)', create: (o) => dselectK(o.experts, o.selectors, o.gamma) },
  { name: 'mtan', label: 'MTAN', summary: 'a shared conv trunk with task attention modules at every block (Liu et al. 2019)', create: () => mtan() },
];

export const DEFAULT_ARCHITECTURE = 'hps';

export function architectureNames(): string[] {
  return ARCHITECTURES.map((a) => a.name);
}

export function architectureEntry(name: string): ArchitectureEntry {
  const e = ARCHITECTURES.find((a) => a.name === name);
  if (!e) throw new FsmtlError(`unknown architecture '${name}' (known: ${architectureNames().join(', ')})`);
  return e;
}

export function architectureLabel(name: string): string {
  return architectureEntry(name).label;
}
