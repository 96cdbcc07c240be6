#!/usr/bin/env node
import { runCli } from './run.js';

/** The `failover` executable: runs the command line, flushes stdout, exits with its code. */
const code = await runCli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`failover: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  return 2;
});
// SDK clients may keep sockets open; exit once the report is written.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
