#!/usr/bin/env node
// The fsmtl command. Runs the compiled library (built by `npm install`/`npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
// Exit explicitly: wasm worker threads must not keep the process alive.
process.exit(code);
