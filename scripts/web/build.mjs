// Builds the web app into dist-web/ (a static site for any host): the page and its worker bundled with
// esbuild, index.html, and tfjs-backend-wasm's binaries under wasm/. Threads need the host to send
// COOP/COEP headers (npm run web does); without them the page trains on one thread.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

export async function buildWeb(out = join(root, 'dist-web'), { minify = true } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'wasm'), { recursive: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { fsmtl: 'src/browser.ts', checks: 'src/web/checks.ts', main: 'src/web/app/main.ts', worker: 'src/web/app/worker.ts', 'bench-page': 'src/web/bench/page.ts' },
    outdir: out,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    sourcemap: true,
    logLevel: 'warning',
  });
  cpSync(join(root, 'src/web/app/index.html'), join(out, 'index.html'));
  cpSync(join(root, 'src/web/app/blank.html'), join(out, 'blank.html'));
  cpSync(join(root, 'src/web/bench/bench.html'), join(out, 'bench.html'));
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    cpSync(join(wasmOut, f), join(out, 'wasm', f));
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`web app built in ${out}`);
}
