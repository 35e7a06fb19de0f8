import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FsmtlError } from './errors.js';

/** Write via a temporary file and rename, so a reader never sees a half-written file. */
export function writeFileAtomic(path: string, content: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    throw new FsmtlError(`cannot write ${path}: ${(e as Error).message}`);
  }
}
