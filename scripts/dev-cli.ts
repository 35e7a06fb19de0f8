// Runs the CLI from the TypeScript sources (no build step): node --import tsx scripts/dev-cli.ts <args>
import { main } from '../src/cli/main.js';

process.exit(await main(process.argv));
