// The CLI's --architecture and --experts: choices from the registry, bad combinations refused in one line.
// (Training through each architecture is tested through the API: test/train/architectures-*.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ARCHITECTURES } from '../../src/model/architectures/registry.js';

const root = new URL('../..', import.meta.url).pathname;
const fsmtl = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/dev-cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('--architecture: registry choices, one-line refusals that show the flags reach the config', () => {
  const help = fsmtl('train', '--help').out.replace(/\s+/g, ' ');
  assert.ok(help.includes(`(choices: ${ARCHITECTURES.map((a) => `"${a.name}"`).join(', ')})`), help);
  const bad = fsmtl('train', '--method', 'stl', '--architecture', 'mmoe');
  assert.notEqual(bad.code, 0);
  assert.deepEqual(bad.err.trim().split('\n').length, 1, bad.err);
  assert.match(bad.err, /--architecture: stl shares no network, so it does not combine with architecture 'mmoe'/);
  // --experts reaches architectureOptions.
  const odd = fsmtl('train', '--architecture', 'dselect-k', '--experts', '3');
  assert.notEqual(odd.code, 0);
  assert.match(odd.err.trim(), /^[^\n]*--experts: dselect-k needs a power of two of experts \(2, 4, 8\.\.\.\), got 3$/);
});
