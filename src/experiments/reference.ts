// Published results to compare with: a file shaped like the paper's tables.json,
//   { "source": "...", "<dataset>": { "metrics": [...], "rows": { "<method>": { "p": 0.9, "<metric>": [mean, std], "avgRank": 1 } } } }
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FsmtlError, oneLine } from '../util/errors.js';

const referenceRowSchema = z
  .object({
    /** Keep ratio as published; null where the paper prints "-". */
    p: z.number().nullable().optional(),
    avgRank: z.number().optional(),
  })
  .catchall(z.tuple([z.number(), z.number()]));

const referenceTableSchema = z.object({
  // A count, or a description (Cityscapes: "segmentation + depth").
  tasks: z.union([z.number(), z.string()]).optional(),
  metrics: z.array(z.string()).min(1),
  rows: z.record(z.string(), referenceRowSchema),
});

const referenceFileSchema = z.object({ source: z.string().optional() }).catchall(referenceTableSchema);

export type ReferenceRow = z.output<typeof referenceRowSchema>;
export type ReferenceTable = z.output<typeof referenceTableSchema>;

export interface Reference {
  /** Where the numbers come from (the file's "source", else its path). */
  source: string;
  path: string;
  tables: Record<string, ReferenceTable>;
}

export function parseReference(data: unknown, path: string): Reference {
  const r = referenceFileSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new FsmtlError(`reference ${path}: ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
  }
  const { source, ...tables } = r.data;
  return { source: source ?? path, path, tables: tables as Record<string, ReferenceTable> };
}

export function loadReference(path: string): Reference {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FsmtlError(`cannot read reference ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new FsmtlError(`reference ${path} is not valid JSON: ${oneLine((e as Error).message)}`);
  }
  return parseReference(data, path);
}

/** A published row's mean ± std for a metric, if it has one. */
export function referenceValue(row: ReferenceRow, metric: string): [number, number] | undefined {
  const v = (row as Record<string, unknown>)[metric];
  return Array.isArray(v) ? (v as [number, number]) : undefined;
}
