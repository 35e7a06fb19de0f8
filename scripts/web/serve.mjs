// `npm run web`: builds the web app and serves it on localhost, cross-origin isolated (COOP/COEP headers,
// so that wasm runs with threads), with the data folder (FSMTL_DATA, else the first shared/data above the
// working directory) under /data/ and its file list at /data/index.json.
import { createServer } from 'node:http';
import { existsSync, readdirSync, statSync, createReadStream } from 'node:fs';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './build.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.css': 'text/css',
};

export function findDataDir() {
  if (process.env.FSMTL_DATA) return resolve(process.env.FSMTL_DATA);
  for (let d = process.cwd(); ; d = dirname(d)) {
    for (const c of [join(d, 'shared', 'data'), join(d, '..', 'shared', 'data')]) if (existsSync(c)) return resolve(c);
    if (dirname(d) === d) return null;
  }
}

function listFiles(dir, base = dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) listFiles(p, base, out);
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

/** Serves `root` (and `dataDir` under /data/); resolves with the server once it listens. */
export function startServer({ root, dataDir = findDataDir(), port = 8080, host = '127.0.0.1', isolate = true }) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = decodeURIComponent(url.pathname);
    const headers = { 'Cache-Control': 'no-store' };
    if (isolate) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    if (path === '/data/index.json') {
      if (!dataDir) return res.writeHead(404, headers).end('no data folder');
      return res.writeHead(200, { ...headers, 'Content-Type': TYPES['.json'] }).end(JSON.stringify({ files: listFiles(dataDir) }));
    }
    let base = root;
    if (path.startsWith('/data/') && dataDir) {
      base = dataDir;
      path = path.slice('/data'.length);
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(base, path));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404, headers).end('not found');
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv.find((a) => a.startsWith('--port='))?.slice(7) ?? 8080);
  const root = await buildWeb();
  const dataDir = findDataDir();
  const server = await startServer({ root, dataDir, port });
  const { port: p } = server.address();
  console.log(`fsmtl web app: http://localhost:${p}/  (bench: http://localhost:${p}/bench.html)`);
  console.log(dataDir ? `data folder: ${dataDir} (served under /data/)` : 'no data folder found (set FSMTL_DATA); the page then trains on dropped files');
}
