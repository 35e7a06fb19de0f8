// A run's log: one JSON record per epoch (mean losses per task, mask statistics, timings, memory), then
// one with the run's final metrics, as JSON Lines beside its result (runs/<key>.jsonl). Streamed while
// the run trains, so that a run in progress can be followed with `tail -f`, and complete once it ends.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { maskStats } from '../sparse/mask-stats.js';
import type { EpochEndInfo, TrainResult } from '../train/trainer.js';
import { FsmtlError } from '../util/errors.js';

export interface EpochRecord {
  type: 'epoch';
  key: string;
  /** 1-based, as in the result's history. */
  epoch: number;
  epochs: number;
  /** Mean training loss per task over the epoch, by task name. */
  loss: Record<string, number>;
  seconds: number;
  /** Seconds since the run started. */
  elapsed: number;
  masksUpdated: boolean;
  /** Statistics of the masks in force during the epoch (null while dense). */
  masks: { density: Record<string, number>; union: number; meanOverlap: number } | null;
  rssBytes: number;
  /** Unix time in seconds (TensorBoard's wall time). */
  time: number;
}

export interface ResultRecord {
  type: 'result';
  key: string;
  epochs: number;
  /** Test metrics per task, by task name; NaN is written as null. */
  test: Record<string, Record<string, number>>;
  validation: Record<string, Record<string, number>> | null;
  average: Record<string, number>;
  timings: TrainResult['timings'];
  time: number;
}

export interface FailureRecord {
  type: 'failed';
  key: string;
  error: string;
  time: number;
}

export type RunLogRecord = EpochRecord | ResultRecord | FailureRecord;

/** Builds the records of one run; `sink` receives each (e.g. appends it to the file, or sends it to a parent). */
export class RunLog {
  private readonly t0 = performance.now();
  private lastMasks: EpochRecord['masks'] = null;
  readonly records: RunLogRecord[] = [];

  constructor(
    readonly key: string,
    readonly epochs: number,
    readonly tasks: string[],
    private readonly sink: (r: RunLogRecord) => void = () => {},
  ) {}

  private add(r: RunLogRecord): void {
    this.records.push(r);
    this.sink(r);
  }

  /** For TrainOptions.onEpochEnd. Mask statistics are recomputed only when the masks changed. */
  epoch(info: EpochEndInfo): void {
    const byTask = (xs: number[]) => Object.fromEntries(this.tasks.map((t, i) => [t, xs[i]]));
    if (!info.masks) this.lastMasks = null;
    else if (info.log.masksUpdated || !this.lastMasks) {
      const s = maskStats(info.model.specs, info.masks);
      this.lastMasks = { density: byTask(s.density), union: s.union, meanOverlap: s.meanOverlap };
    }
    this.add({
      type: 'epoch',
      key: this.key,
      epoch: info.log.epoch,
      epochs: this.epochs,
      loss: byTask(info.log.loss),
      seconds: info.log.seconds,
      elapsed: (performance.now() - this.t0) / 1000,
      masksUpdated: info.log.masksUpdated,
      masks: this.lastMasks,
      rssBytes: process.memoryUsage().rss,
      time: Date.now() / 1000,
    });
  }

  result(r: TrainResult): void {
    this.add({
      type: 'result',
      key: this.key,
      epochs: this.epochs,
      test: Object.fromEntries(r.perTask.map((t) => [t.task, t.metrics])),
      validation: r.perTask.every((t) => t.validation) ? Object.fromEntries(r.perTask.map((t) => [t.task, t.validation!])) : null,
      average: r.average,
      timings: r.timings,
      time: Date.now() / 1000,
    });
  }

  failed(error: string): void {
    this.add({ type: 'failed', key: this.key, error, time: Date.now() / 1000 });
  }
}

const line = (r: RunLogRecord) => JSON.stringify(r) + '\n';

/** A sink that streams records to `path`, starting the file afresh (a run started again logs anew). */
export function fileSink(path: string): (r: RunLogRecord) => void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  } catch (e) {
    throw new FsmtlError(`cannot write the run log ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return (r) => appendFileSync(path, line(r));
}

export const runLogText = (records: RunLogRecord[]) => records.map(line).join('');

/** Parses a run log; a line that is not a record (e.g. cut short by a kill) throws, naming the line. */
export function parseRunLog(text: string, where: string): RunLogRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        const r = JSON.parse(l) as RunLogRecord;
        if (!r || !['epoch', 'result', 'failed'].includes(r.type)) throw new Error('not a run log record');
        return r;
      } catch (e) {
        throw new FsmtlError(`${where}: line ${i + 1}: ${(e as Error).message}`);
      }
    });
}
