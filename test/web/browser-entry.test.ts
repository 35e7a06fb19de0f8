// The browser entry's module graph holds no Node module: bundled for the browser, no fsmtl module imports
// a Node builtin, and none of the Node-only parts (addon, worker threads, node:fs host) is reached.
// (Dependencies' guarded requires, e.g. tfjs's of 'fs', are switched off by their own package.json
// "browser" fields; esbuild fails the build on any builtin that is not.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

test('fsmtl/browser bundles for the browser with no Node builtin and no Node-only module', async () => {
  const reached: string[] = [];
  const r = await esbuild.build({
    entryPoints: ['src/browser.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'out.js',
    plugins: [
      {
        name: 'no-node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => {
            const ours = !a.importer.includes('node_modules');
            if (ours && (BUILTINS.has(a.path) || a.path.startsWith('node:'))) reached.push(`${a.path} (from ${a.importer})`);
            return undefined;
          });
        },
      },
    ],
  });
  assert.deepEqual(reached, [], `Node builtins reached: ${reached.join(', ')}`);
  const inputs = Object.keys(r.metafile!.inputs);
  assert.ok(inputs.includes('src/train/trainer.ts') && inputs.includes('src/io/checkpoint.ts'), 'the trainer and checkpoints are in the bundle');
  const nodeOnly = inputs.filter((p) => /src\/engine\/native\/|src\/engine\/wasm\/threads|node-(fs|png|platform)\.ts|src\/cli\/|experiments\/(runner|worker|store|publish|render)/.test(p));
  assert.deepEqual(nodeOnly, [], 'Node-only modules in the browser bundle');
});
