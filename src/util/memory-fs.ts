// An in-memory file system (absolute POSIX paths, folders implied by the files under them): what the core
// reads from in a browser, where files come from fetch() or a drop.
import { dirname, resolve } from 'pathe';
import type { FileStats, FileSystem } from './fs.js';

function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

export class MemoryFileSystem implements FileSystem {
  private files = new Map<string, { data: Uint8Array; mtimeMs: number }>();
  private dirs = new Set<string>(['/']);
  private clock = 0;
  constructor(private readonly environment: Record<string, string> = {}) {}

  private abs(p: string): string {
    return resolve('/', p);
  }
  private addDirs(p: string): void {
    for (let d = dirname(p); !this.dirs.has(d); d = dirname(d)) this.dirs.add(d);
  }

  readFileSync(path: string): Uint8Array {
    const p = this.abs(path);
    const f = this.files.get(p);
    if (!f) throw fsError(this.dirs.has(p) ? 'EISDIR' : 'ENOENT', path);
    return f.data;
  }
  writeFileSync(path: string, data: Uint8Array | string): void {
    const p = this.abs(path);
    if (this.dirs.has(p)) throw fsError('EISDIR', path);
    this.addDirs(p);
    this.files.set(p, { data: typeof data === 'string' ? new TextEncoder().encode(data) : data, mtimeMs: ++this.clock });
  }
  statSync(path: string): FileStats {
    const p = this.abs(path);
    const f = this.files.get(p);
    if (f) return { isFile: () => true, isDirectory: () => false, size: f.data.byteLength, mtimeMs: f.mtimeMs };
    if (this.dirs.has(p)) return { isFile: () => false, isDirectory: () => true, size: 0, mtimeMs: 0 };
    throw fsError('ENOENT', path);
  }
  existsSync(path: string): boolean {
    const p = this.abs(path);
    return this.files.has(p) || this.dirs.has(p);
  }
  realpathSync(path: string): string {
    if (!this.existsSync(path)) throw fsError('ENOENT', path);
    return this.abs(path);
  }
  readdirSync(path: string): string[] {
    const p = this.abs(path);
    if (!this.dirs.has(p)) throw fsError(this.files.has(p) ? 'ENOTDIR' : 'ENOENT', path);
    const names = new Set<string>();
    for (const q of [...this.files.keys(), ...this.dirs]) if (q !== p && dirname(q) === p) names.add(q.slice(p === '/' ? 1 : p.length + 1));
    return [...names].sort();
  }
  mkdirSync(path: string): void {
    const p = this.abs(path);
    this.addDirs(p + '/x');
  }
  renameSync(from: string, to: string): void {
    const f = this.files.get(this.abs(from));
    if (!f) throw fsError('ENOENT', from);
    this.files.delete(this.abs(from));
    this.writeFileSync(to, f.data);
  }
  rmSync(path: string, opts?: { force?: boolean }): void {
    if (!this.files.delete(this.abs(path)) && !opts?.force) throw fsError('ENOENT', path);
  }
  cwd(): string {
    return '/';
  }
  env(name: string): string | undefined {
    return this.environment[name];
  }
  tag(): string {
    return 'mem';
  }
}
