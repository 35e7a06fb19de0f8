// Files in a page: dropped Blobs or fetched ArrayBuffers put into the in-memory file system the core reads
// (src/util/fs.ts), so that every reader and benchmark (IDX, npy/npz, CSV, PNG, JPEG, data manifests)
// works on them unchanged; and bytes handed back for download.
import { join } from 'pathe';
import { fileSystem } from '../util/fs.js';

/** Where resolveDataDir() finds data in a page (it looks for a shared/data folder above the working directory '/'). */
export const PAGE_DATA_DIR = '/shared/data';

export type FileSource = ArrayBuffer | Uint8Array | Blob;

async function bytesOf(src: FileSource): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  return new Uint8Array(await src.arrayBuffer());
}

/** Writes files (relative paths → contents) under `dir`; returns their absolute paths. */
export async function mountFiles(files: Record<string, FileSource>, dir = PAGE_DATA_DIR): Promise<string[]> {
  const paths: string[] = [];
  for (const [name, src] of Object.entries(files)) {
    const path = join(dir, name);
    fileSystem().writeFileSync(path, await bytesOf(src));
    paths.push(path);
  }
  return paths;
}

/** Fetches files (relative paths) from `baseUrl` and mounts them under `dir`. */
export async function fetchFiles(baseUrl: string, names: string[], dir = PAGE_DATA_DIR): Promise<string[]> {
  const files: Record<string, ArrayBuffer> = {};
  await Promise.all(
    names.map(async (name) => {
      const r = await fetch(new URL(name, baseUrl));
      if (!r.ok) throw new Error(`${new URL(name, baseUrl).href}: HTTP ${r.status}`);
      files[name] = await r.arrayBuffer();
    }),
  );
  return mountFiles(files, dir);
}
