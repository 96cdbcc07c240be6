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
import { fillJournal } from './journal-fill.js';

const N = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'fj-'));
const gc = (globalThis as { gc?: () => void }).gc!;
const j = createFileJournal({ dir });
await j.open?.();
gc();
gc();
const h0 = process.memoryUsage().heapUsed;
await fillJournal(j, N);
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
