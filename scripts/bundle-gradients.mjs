// Builds vendor/tfjs-gradients.mjs: tfjs-core's gradient registrations as one ES module.
// Why: the CommonJS build of @tensorflow/tfjs-core (the one Node loads) registers no gradients, and its
// ESM build uses directory imports that Node refuses. tfjs keeps its engine and registries on
// globalThis, so this bundled copy registers into the same engine the rest of fsmtl uses.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const entry = join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'register_all_gradients.js');
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: join(root, 'vendor', 'tfjs-gradients.mjs'),
  logLevel: 'warning',
  legalComments: 'inline',
});
