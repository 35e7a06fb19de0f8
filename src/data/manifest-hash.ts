// The content hash of a data manifest: sha256 over its canonical JSON (validated, keys sorted, so that
// formatting does not count) and the bytes of every file it references, each under its path relative
// to the manifest's folder. Changing a data file changes the hash; moving the folder does not. Only
// bytes are hashed (an image index is parsed to list its images), nothing is decoded.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { dirname, isAbsolute, posix } from 'pathe';
import { readBytes } from './cache.js';
import { readCsvFile } from './csv.js';
import { PART_NAMES, readDataManifest, type DataManifest } from './manifest-schema.js';
import { manifestPath, type InputFile, type LabelFile } from './manifest-sources.js';

/** Bumped when the same manifest and files would load differently. */
const FORMAT = 'fsmtl-data-manifest/1';

/** JSON with object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A source's files (one, or one per part). */
function parts<F>(src: F & Partial<Record<(typeof PART_NAMES)[number], F>>): F[] {
  const split = PART_NAMES.map((p) => src[p]).filter((f): f is F => f !== undefined);
  return split.length ? split : [src];
}

/** Every file the manifest references, as paths relative to its folder (absolute ones as given). */
export function manifestFiles(m: DataManifest, dir: string): string[] {
  const rel = (p: string) => (isAbsolute(p) ? p : posix.normalize(p.replace(/\\/g, '/')));
  const out = new Set<string>();
  const inputs = [m.inputs, ...m.tasks.map((t) => t.inputs)].filter((s) => s !== undefined);
  for (const f of inputs.flatMap((s) => parts<InputFile>(s))) {
    for (const p of [f.csv, f.npy, f.npz, f.idx, f.index]) if (p !== undefined) out.add(rel(p));
    if (f.images !== undefined) {
      const index = readCsvFile(manifestPath(dir, f.index!), { delimiter: f.delimiter });
      for (const file of index.column(f.fileColumn ?? 'file')) {
        const name = file.trim();
        if (name) out.add(isAbsolute(name) ? name : rel(posix.join(rel(f.images), name)));
      }
    }
  }
  for (const f of m.tasks.flatMap((t) => (t.labels ? parts<LabelFile>(t.labels) : []))) {
    for (const p of [f.csv, f.npy, f.npz, f.idx]) if (p !== undefined) out.add(rel(p));
  }
  return [...out].sort();
}

/** sha256 (first 16 hex digits) of the manifest's canonical JSON and the bytes of every file it references. */
export function dataManifestHash(path: string): string {
  const m = readDataManifest(path);
  const dir = dirname(path);
  const h = sha256.create();
  h.update(utf8ToBytes(`${FORMAT}\n${canonicalJson(m)}\n`));
  for (const file of manifestFiles(m, dir)) {
    const bytes = readBytes(manifestPath(dir, file));
    h.update(utf8ToBytes(`${file}\n${bytes.length}\n`));
    h.update(bytes);
  }
  return bytesToHex(h.digest()).slice(0, 16);
}
