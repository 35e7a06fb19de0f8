// Per-process cache of decoded data files, so that several runs in one process decode each file once.
// Keyed by decoder kind and real path; an entry is dropped when the file's size or mtime changes.
// Cached arrays are shared: callers must not modify them.
import { readFileSync, realpathSync, statSync } from '../util/fs.js';
import { resolve } from 'pathe';
import { FsmtlError } from '../util/errors.js';

interface Entry {
  size: number;
  mtimeMs: number;
  value: unknown;
}

const cache = new Map<string, Entry>();

function fsError(path: string, e: unknown): FsmtlError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FsmtlError(`${path}: file not found`);
  if (code === 'EISDIR') return new FsmtlError(`${path}: is a directory, expected a file`);
  if (code === 'EACCES') return new FsmtlError(`${path}: permission denied`);
  return new FsmtlError(`${path}: cannot read (${(e as Error).message})`);
}

/** Reads a whole file; file-system errors become FsmtlErrors naming the path. */
export function readBytes(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw fsError(path, e);
  }
}

/** Reads a whole UTF-8 text file (a leading byte-order mark is dropped); errors name the path. */
export function readText(path: string): string {
  return new TextDecoder('utf-8').decode(readBytes(path));
}

/** Returns decode(bytes of path, path), from the cache when the file is unchanged since it was decoded. */
export function readCached<T>(kind: string, path: string, decode: (bytes: Uint8Array, name: string) => T): T {
  let key: string;
  let size: number;
  let mtimeMs: number;
  try {
    key = `${kind}:${realpathSync(resolve(path))}`;
    const st = statSync(path);
    size = st.size;
    mtimeMs = st.mtimeMs;
  } catch (e) {
    throw fsError(path, e);
  }
  const hit = cache.get(key);
  if (hit && hit.size === size && hit.mtimeMs === mtimeMs) return hit.value as T;
  const value = decode(readBytes(path), path);
  cache.set(key, { size, mtimeMs, value });
  return value;
}

/** Forgets every decoded file (frees memory; the next read decodes again). */
export function clearDataCache(): void {
  cache.clear();
}

/** Number of decoded files held (for tests). */
export function dataCacheSize(): number {
  return cache.size;
}
