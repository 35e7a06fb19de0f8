// A queued run: what the coordinator puts in Redis and a worker takes out. The payload is data only (a
// train config, validated with the config schema; never code or a command), keyed by its run hash,
// and names the fsmtl version and engine it was planned for, so that a worker refuses what it cannot
// reproduce.
import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';
import { FSMTL_VERSION } from '../train/trainer.js';
import { FsmtlError } from '../util/errors.js';
import { runKey, type Experiment } from './spec.js';

/** BullMQ queue name (and Redis key prefix) used unless --queue-name says otherwise. */
export const DEFAULT_QUEUE_NAME = 'fsmtl';

export const queueJobSchema = z
  .object({
    kind: z.literal('fsmtl-run'),
    fsmtlVersion: z.string().min(1),
    key: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a run key (letters, digits, ".", "_" and "-")'),
    config: z.unknown(),
    /** Threads the run computes with; part of its hash. */
    threads: z.number().int().positive(),
  })
  .strict();

export interface QueueJob {
  kind: 'fsmtl-run';
  fsmtlVersion: string;
  key: string;
  config: TrainConfig;
  threads: number;
}

export function queueJob(key: string, config: TrainConfig, threads: number): QueueJob {
  return { kind: 'fsmtl-run', fsmtlVersion: FSMTL_VERSION, key, config, threads };
}

/**
 * Validates a payload taken from the queue: its shape, its config (the same schema as any config) and
 * that the key is the hash of that config, engine and thread count (so a tampered payload cannot
 * store a result under another run's name).
 */
export function parseQueueJob(data: unknown): QueueJob {
  const r = queueJobSchema.safeParse(data);
  if (!r.success) throw new FsmtlError(`job payload: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  const c = trainConfigSchema.safeParse(r.data.config);
  if (!c.success) throw new FsmtlError(`job payload: config: ${c.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = c.data;
  if (config.backend === 'auto') throw new FsmtlError(`job payload: config.backend: a queued run names its engine (native, wasm, cpu), not 'auto'`);
  if (runKey(config, r.data.threads) !== r.data.key) throw new FsmtlError(`job payload: key '${r.data.key}' is not the hash of its config, engine and threads`);
  return { ...r.data, kind: 'fsmtl-run', config };
}

/**
 * The experiment as a queue runs it: every run's engine fixed (`backend`; 'auto' is resolved on the
 * coordinator) and its thread count hashed into its key, so that a stored result says exactly what
 * produced it. The data folder is the worker's own, so it leaves the payload (it is not hashed).
 */
export function experimentForQueue(e: Experiment, engine: { auto: string; threads: number }): Experiment {
  const runs = e.runs.map((run) => {
    const config: TrainConfig = { ...run.config, backend: run.config.backend === 'auto' ? (engine.auto as TrainConfig['backend']) : run.config.backend, dataDir: undefined };
    delete config.dataDir;
    return { ...run, config, key: runKey(config, engine.threads) };
  });
  return { ...e, runs };
}
