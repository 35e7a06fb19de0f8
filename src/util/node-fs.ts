// Node's file system behind src/util/fs.ts (loaded by it only when running in Node).
import * as fs from 'node:fs';
import type { FileSystem } from './fs.js';

export const nodeFileSystem: FileSystem = {
  readFileSync: (p) => fs.readFileSync(p),
  writeFileSync: (p, d) => fs.writeFileSync(p, d),
  statSync: (p) => fs.statSync(p),
  existsSync: (p) => fs.existsSync(p),
  realpathSync: (p) => fs.realpathSync(p),
  readdirSync: (p) => fs.readdirSync(p),
  mkdirSync: (p, o) => void fs.mkdirSync(p, o),
  renameSync: (a, b) => fs.renameSync(a, b),
  rmSync: (p, o) => fs.rmSync(p, o),
  cwd: () => process.cwd(),
  env: (n) => process.env[n],
  tag: () => String(process.pid),
};
