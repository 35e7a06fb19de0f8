// Engine selection with the native addon: 'auto' prefers it, FSMTL_NATIVE=0 and a missing addon fall back to
// wasm with the reason said once, the OpenBLAS kernel choice, and deterministic training on the native engine.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeEngine, initEngine, nativeStatus } from '../../src/engine/index.js';
import { ADDON_PATH, nativeDisabled } from '../../src/engine/native/addon.js';
import { chooseCoretype, cpuFlags, openblasCoretypeFor } from '../../src/engine/native/cpu.js';
import { runTraining } from '../../src/experiments/run.js';
import { FsmtlError } from '../../src/util/errors.js';
import { smallHetero3 } from '../fixtures/configs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(ADDON_PATH);
const skipUnbuilt = built ? false : `native addon not built (${ADDON_PATH})`;
const status = nativeStatus();
const skipUnavailable = status.available ? false : `native engine unavailable: ${status.reason}`;

/** Runs a snippet in a fresh Node (engine choice is once per process) and returns its JSON output. */
function inChild(code: string, env: Record<string, string | undefined>): Record<string, unknown> {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, env: childEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const PROBE = `
import { initEngine, describeEngine } from './src/engine/index.js';
const out = {};
const info = await initEngine();
out.backend = info.backend; out.line = describeEngine(info); out.reason = info.native?.reason ?? null;
try { await initEngine({ backend: 'native' }); out.nativeError = null; } catch (e) { out.nativeError = e.name + ': ' + e.message; }
console.log(JSON.stringify(out));
process.exit(0);
`;

describe('OpenBLAS kernel choice', () => {
  const skx = new Set(['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl']);
  const bf16 = new Set([...skx, 'avx512_bf16']);
  test('an AVX-512 CPU gets the AVX-512 kernels (Cooperlake with bf16, else SkylakeX)', () => {
    assert.equal(openblasCoretypeFor(skx), 'SkylakeX');
    assert.equal(openblasCoretypeFor(bf16), 'Cooperlake');
    assert.equal(openblasCoretypeFor(new Set(['avx2', 'fma', 'avx512f'])), null);
    assert.deepEqual(chooseCoretype({}, bf16), { value: 'Cooperlake', by: 'fsmtl' });
  });
  test('a coretype naming slower kernels than the CPU runs is replaced, an AVX-512 one is kept', () => {
    assert.deepEqual(chooseCoretype({ OPENBLAS_CORETYPE: 'Haswell' }, skx), { value: 'SkylakeX', by: 'fsmtl', replaced: 'Haswell' });
    assert.deepEqual(chooseCoretype({ OPENBLAS_CORETYPE: 'SkylakeX' }, bf16), { value: 'SkylakeX', by: 'user' });
    assert.deepEqual(chooseCoretype({ OPENBLAS_CORETYPE: 'Haswell' }, new Set(['avx2'])), { value: 'Haswell', by: 'user' });
    assert.deepEqual(chooseCoretype({}, new Set(['avx2'])), { value: null, by: 'openblas' });
  });
  test('FSMTL_OPENBLAS_CORETYPE is used as given', () => {
    assert.deepEqual(chooseCoretype({ FSMTL_OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_CORETYPE: 'SkylakeX' }, bf16), { value: 'Haswell', by: 'user' });
    assert.deepEqual(chooseCoretype({ FSMTL_OPENBLAS_CORETYPE: 'auto' }, skx), { value: 'SkylakeX', by: 'fsmtl' });
  });
  test('cpu flags are read from a cpuinfo text', () => {
    const flags = cpuFlags('processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\nbugs\t: none\n');
    assert.ok(flags.has('avx512f') && flags.has('avx2') && !flags.has('none'));
    assert.equal(cpuFlags('no flags here').size, 0);
  });
});

describe('engine selection', () => {
  test('FSMTL_NATIVE switches the native engine off', () => {
    for (const v of ['0', 'off', 'false', 'no', ' OFF ']) assert.equal(nativeDisabled({ FSMTL_NATIVE: v }), true, v);
    for (const v of [undefined, '', '1', 'on']) assert.equal(nativeDisabled({ FSMTL_NATIVE: v }), false, String(v));
  });

  test('with FSMTL_NATIVE=0, auto runs on wasm, says why, and backend native is a clear error', () => {
    const out = inChild(PROBE, { FSMTL_NATIVE: '0' });
    assert.equal(out['backend'], 'wasm');
    assert.match(String(out['line']), /^wasm, \d+ thread\(s\); native engine switched off by FSMTL_NATIVE=0$/);
    assert.match(String(out['nativeError']), /^FsmtlError: the native engine is unavailable: switched off by FSMTL_NATIVE=0/);
  });

  test('auto prefers the native engine when the addon is built', { skip: skipUnbuilt }, () => {
    const out = inChild(PROBE, { FSMTL_NATIVE: undefined });
    assert.equal(out['backend'], 'native');
    assert.match(String(out['line']), /^native: OpenBLAS \(.* kernels.*\)(, convolutions on oneDNN [\d.]+)?, \d+ thread\(s\), on wasm$/);
    assert.equal(out['nativeError'], null);
  });

  test('backend native without the addon is an FsmtlError that says how to build it', { skip: status.available ? 'the addon is available here' : false }, async () => {
    await assert.rejects(initEngine({ backend: 'native' }), (e: unknown) => e instanceof FsmtlError && /native engine is unavailable/.test(e.message));
  });
});

describe('native training', { skip: skipUnavailable }, () => {
  test('is deterministic: the same config trains to the same losses, masks and metrics twice', { timeout: 120_000 }, async () => {
    const info = await initEngine({ backend: 'native', threads: 2 });
    assert.equal(info.backend, 'native');
    assert.match(describeEngine(info), /^native: /);
    const config = { ...smallHetero3, method: 'fs' as const, backend: 'auto' as const };
    const a = await runTraining(config);
    const b = await runTraining(config);
    assert.equal(a.engine.backend, 'native');
    assert.deepEqual(a.history.map((h) => h.loss), b.history.map((h) => h.loss));
    assert.deepEqual(a.perTask, b.perTask);
    assert.deepEqual(a.masks, b.masks);
    assert.ok(a.history.every((h) => h.loss.every(Number.isFinite)));
  });

  test('LeNet trains on it and matches itself too', { timeout: 120_000 }, async () => {
    await initEngine({ backend: 'native' });
    const config = { ...smallHetero3, arch: 'lenet' as const, method: 'fs' as const, epochs: 2, backend: 'auto' as const };
    const a = await runTraining(config);
    const b = await runTraining(config);
    assert.deepEqual(a.history.map((h) => h.loss), b.history.map((h) => h.loss));
    assert.ok(a.average.accuracy > 0.1);
  });
});
