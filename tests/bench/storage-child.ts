import { RESULT_PREFIX, storageCases } from './storage-cases.js';

/**
 * The child process of one storage case: `node --import tsx bench/storage-child.ts <case id>`.
 * Runs the case (which starts and stops its own servers) and prints its result as one JSON line
 * on stdout, after `RESULT_PREFIX`.
 */
async function main(): Promise<void> {
  const id = process.argv[2] ?? '';
  const c = storageCases.find((x) => x.id === id);
  if (!c) throw new Error(`no storage bench case ${JSON.stringify(id)}`);
  const result = await c.run();
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
