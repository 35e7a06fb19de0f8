// Byte-level file I/O for src/io: reads that fail with a one-line FsmtlError, atomic writes.
import { mkdirSync, readFileSync, renameSync, rmSync, tempTag, writeFileSync } from '../util/fs.js';
import { dirname } from 'pathe';
import { FsmtlError } from '../util/errors.js';

/** Reads a whole file; `what` says what it is meant to be ("checkpoint", "input images"...). */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FsmtlError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message)}`);
  }
}

/** Creates a folder and its parents now, or fails with one line naming it (after `flag`, when a flag gave it). */
export function createFolder(dir: string, flag?: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new FsmtlError(`${flag ? `${flag}: ` : ''}cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Writes via a temporary file in the same folder and a rename, so no reader ever sees a half-written file.
 * The temporary name `<file>.<pid>.tmp` tells the run store whose interrupted write it was (store.ts).
 */
export function writeBytesAtomic(path: string, content: Uint8Array | string): void {
  const tmp = `${path}.${tempTag()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable; nothing was written
    }
    throw new FsmtlError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
