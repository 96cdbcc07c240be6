/**
 * The file journal's heap per pending entry and its replay time: 100,000 appends of 256-byte puts
 * (1,000 at a time), each missing on one target, then a reopen that replays the file.
 *
 * `node --expose-gc --import tsx bench/journal-heap.ts` from `tests/`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal } from '@failover/storage';

const N = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'fj-'));
const gc = (globalThis as { gc?: () => void }).gc!;
const j = createFileJournal({ dir });
await j.open?.();
gc();
gc();
const h0 = process.memoryUsage().heapUsed;
for (let b = 0; b < N / 1000; b++) {
  const ps: Promise<void>[] = [];
  for (let i = b * 1000; i < (b + 1) * 1000; i++) {
    const key = `uploads/user-${i % 5000}/object-${i}.bin`;
    const version = `0000018c${(1e12 + i).toString(16)}-00000-wabcdef`;
    ps.push(
      j.append({
        id: `${version}:${key}`,
        op: 'put',
        key,
        version,
        sha256: 'a'.repeat(63) + (i % 10),
        size: 256,
        holders: ['gcs', 'azure'],
        missing: ['s3'],
        at: Date.now(),
      }),
    );
  }
  await Promise.all(ps);
}
gc();
gc();
const h1 = process.memoryUsage().heapUsed;
console.log(`file journal: ${((h1 - h0) / N).toFixed(0)} B per pending entry (backlog ${j.backlog()})`);
await j.close();
const t = performance.now();
const j2 = createFileJournal({ dir });
await j2.open?.();
console.log(`reopen (replay): ${(((performance.now() - t) / N) * 1000).toFixed(1)} us per entry`);
await j2.close();
rmSync(dir, { recursive: true, force: true });
