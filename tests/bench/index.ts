import { arch, cpus, platform } from 'node:os';
import { benchClosedPath, benchFailingPath } from './core.js';

/**
 * `pnpm bench`: runs every benchmark in one process and prints Markdown tables
 * (paste them into docs/benchmarks.md with the machine line printed first).
 */
async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Node ${process.version}, ${platform()} ${arch()}, ${cpus().length} x ${cpu}\n`);
  const only = process.argv[2];
  if (!only || only === 'core') {
    await benchClosedPath();
    await benchFailingPath();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
