#!/usr/bin/env node
// Builds fsmtl's optional native addon (native/) with node-gyp.
//   node scripts/native.mjs build     `npm run build:native`: full compiler output; exits 1 on failure
//   node scripts/native.mjs install   the npm install hook: never fails; one line saying what happened
//   node scripts/native.mjs clean     removes native/build
// Needs a C compiler, make, python3 and OpenBLAS (Debian: `sudo apt-get install -y libopenblas-dev`); uses
// oneDNN for convolutions when it is installed (Debian: libdnnl-dev; FSMTL_DNNL=0 builds without it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addon = join(nativeDir, 'build', 'Release', 'fsmtl_native.node');
const HINT = "sudo apt-get install -y libopenblas-dev && npm run build:native";

/** node-gyp: npm's own copy (set by npm for lifecycle scripts, or next to this node), else one on PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const js = candidates.find((p) => p && existsSync(p));
  return js ? [process.execPath, js] : ['node-gyp'];
}

/** The headers of the running node, so that nothing is downloaded (Debian's nodejs and the official builds ship them). */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const dir = join(dirname(process.execPath), '..');
  return existsSync(join(dir, 'include', 'node', 'node_api.h')) ? [`--nodedir=${dir}`] : [];
}

/** Compiles and links a one-file C probe with `flags`; the compiler's result (spawnSync's). */
function compileProbe(source, flags) {
  const dir = mkdtempSync(join(tmpdir(), 'fsmtl-native-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(src, source);
    return spawnSync(process.env.CC || 'cc', [src, '-o', join(dir, 'probe'), ...flags], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why the addon cannot be built here (compiler or OpenBLAS missing), or null. Quick: one tiny compile and link. */
function missingPrerequisite() {
  const r = compileProbe('void cblas_sgemm(void);\nint main(void) { cblas_sgemm(); return 0; }\n', ['-lopenblas']);
  if (r.error) return `no C compiler ('${process.env.CC || 'cc'}': ${r.error.code ?? r.error.message})`;
  if (r.status !== 0) {
    return /openblas/i.test(r.stderr) ? 'OpenBLAS is not installed' : `the compiler failed: ${r.stderr.trim().split('\n')[0]}`;
  }
  return null;
}

/** Whether oneDNN (optional: the convolutions' library) can be compiled and linked against. FSMTL_DNNL=0 skips it. */
function hasDnnl() {
  if (['0', 'off', 'false', 'no'].includes((process.env.FSMTL_DNNL ?? '').trim().toLowerCase())) return false;
  // The oneDNN 2.x API (3.x replaced the *_desc_init functions used by native/src/dnnl_conv.c).
  const r = compileProbe('#include <oneapi/dnnl/dnnl.h>\nint main(void) { return (int)(long)&dnnl_convolution_forward_desc_init; }\n', ['-Werror', '-ldnnl']);
  return !r.error && r.status === 0;
}

function build(quiet) {
  const missing = missingPrerequisite();
  if (missing) return { ok: false, reason: missing };
  const [cmd, ...pre] = nodeGyp();
  const gyp = (dnnl) =>
    spawnSync(cmd, [...pre, 'rebuild', ...nodedirArgs(), `--with_dnnl=${dnnl ? 1 : 0}`], {
      cwd: nativeDir,
      encoding: 'utf8',
      stdio: quiet ? 'pipe' : 'inherit',
    });
  let dnnl = hasDnnl();
  let r = gyp(dnnl);
  if (dnnl && r.status !== 0) {
    // oneDNN is optional: a build that fails with it is retried without it.
    if (!quiet) console.error('fsmtl: the build with oneDNN failed; building without it (convolutions on OpenBLAS)');
    dnnl = false;
    r = gyp(false);
  }
  if (r.error) return { ok: false, reason: `cannot run node-gyp: ${r.error.message}` };
  if (r.status !== 0 || !existsSync(addon)) {
    const tail = quiet ? `: ${(r.stderr || r.stdout || '').trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' | ')}` : '';
    return { ok: false, reason: `node-gyp failed${tail}` };
  }
  return { ok: true, dnnl };
}

const mode = process.argv[2] ?? 'build';
if (mode === 'clean') {
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true });
} else if (mode === 'install') {
  // Never fail an install: without the addon fsmtl runs on wasm.
  if (process.env.FSMTL_SKIP_NATIVE_BUILD) process.exit(0);
  try {
    const r = build(true);
    console.log(r.ok ? `fsmtl: native engine built (${addon}${r.dnnl ? ', convolutions on oneDNN' : ''})` : `fsmtl: native engine not built (${r.reason}); fsmtl runs on wasm. To enable it: ${HINT}`);
  } catch (e) {
    console.log(`fsmtl: native engine not built (${e.message}); fsmtl runs on wasm`);
  }
  process.exit(0);
} else if (mode === 'build') {
  const r = build(false);
  if (!r.ok) {
    console.error(`fsmtl: cannot build the native engine: ${r.reason}. On Debian/Ubuntu: ${HINT}`);
    process.exit(1);
  }
  const dnn = r.dnnl ? 'convolutions on oneDNN' : 'convolutions on OpenBLAS (install libdnnl-dev and rebuild for oneDNN\'s faster ones)';
  console.log(`fsmtl: native engine built: ${addon}, ${dnn}\n'npx fsmtl doctor' shows the engine in use.`);
} else {
  console.error(`usage: node scripts/native.mjs build|install|clean (got '${mode}')`);
  process.exit(2);
}
