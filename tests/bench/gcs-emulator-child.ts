/**
 * The testkit GCS emulator in a process of its own, for benchmarks that measure the memory or CPU
 * of the process under test (in the bench's process, the emulator would hold every object it
 * stores: a 1 GiB put grows it by 2 GB). `node [the parent's flags] gcs-emulator-child.ts BUCKET...`
 * prints `origin http://127.0.0.1:PORT` once listening, and exits when its stdin ends (its parent
 * died or closed it).
 */
import { createGcsEmulator } from '@failover/testkit';

const emulator = createGcsEmulator({ buckets: process.argv.slice(2) });
const { origin } = await emulator.start();
process.stdout.write(`origin ${origin}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void emulator.stop().finally(() => process.exit(0));
});
