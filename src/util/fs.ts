// File access for the library core. In Node it is node:fs; elsewhere (the browser entry) an in-memory file
// system that the page fills with fetched or dropped files. The core imports this module, never node:fs,
// so that its module graph runs in a browser; the same readers then work on both.
import { MemoryFileSystem } from './memory-fs.js';

export interface FileStats {
  isFile(): boolean;
  isDirectory(): boolean;
  size: number;
  mtimeMs: number;
}

/** The subset of node:fs (plus cwd and environment) the core uses; errors carry node's `code` (ENOENT...). */
export interface FileSystem {
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array | string): void;
  statSync(path: string): FileStats;
  existsSync(path: string): boolean;
  realpathSync(path: string): string;
  readdirSync(path: string): string[];
  mkdirSync(path: string, opts?: { recursive?: boolean }): void;
  renameSync(from: string, to: string): void;
  rmSync(path: string, opts?: { force?: boolean }): void;
  cwd(): string;
  env(name: string): string | undefined;
  /** A unique tag for temporary file names (the process id in Node). */
  tag(): string;
}

// The specifier is a variable so that bundlers leave the Node module out of browser builds.
const NODE_FS = './node-fs.js';
const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
let current: FileSystem = inNode ? ((await import(NODE_FS)) as { nodeFileSystem: FileSystem }).nodeFileSystem : new MemoryFileSystem();

/** The file system in use. */
export function fileSystem(): FileSystem {
  return current;
}

/** Replaces the file system (e.g. a MemoryFileSystem in a page or a test); returns the previous one. */
export function useFileSystem(fs: FileSystem): FileSystem {
  const before = current;
  current = fs;
  return before;
}

export const readFileSync = (path: string): Uint8Array => current.readFileSync(path);
export const writeFileSync = (path: string, data: Uint8Array | string): void => current.writeFileSync(path, data);
export const statSync = (path: string): FileStats => current.statSync(path);
export const existsSync = (path: string): boolean => current.existsSync(path);
export const realpathSync = (path: string): string => current.realpathSync(path);
export const readdirSync = (path: string): string[] => current.readdirSync(path);
export const mkdirSync = (path: string, opts?: { recursive?: boolean }): void => current.mkdirSync(path, opts);
export const renameSync = (from: string, to: string): void => current.renameSync(from, to);
export const rmSync = (path: string, opts?: { force?: boolean }): void => current.rmSync(path, opts);
export const cwd = (): string => current.cwd();
export const env = (name: string): string | undefined => current.env(name);
export const tempTag = (): string => current.tag();
