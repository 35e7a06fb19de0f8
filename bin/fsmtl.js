#!/usr/bin/env node
// The fsmtl command. Runs the compiled library (built by `npm install`/`npm ci` through `prepare`).
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (e) {
  // A checkout where the TypeScript was never compiled: say what to do instead of a module stack trace.
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.url ?? e.message).includes('dist/cli/main.js')) {
    process.stderr.write("fsmtl: the compiled library (dist/) is missing; run 'npm run build' (npm install and npm ci do it)\n");
    process.exit(1);
  }
  throw e;
}

const code = await main(process.argv);
// Exit explicitly: wasm worker threads must not keep the process alive.
process.exit(code);
