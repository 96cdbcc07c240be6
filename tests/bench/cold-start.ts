/**
 * A process that starts while its first cloud is a blackhole: 16 objects are written and repaired
 * through the three local clouds, S3's proxy is blackholed, then for each write mode a **new**
 * multi-cloud store (default options but its journal) makes a get of an existing object, then a
 * put of 1 KiB, then a second put, timed one by one (3 rounds, a new store each). Prints the
 * router's `hedge` events and the store's `held` events as they come.
 *
 * `node --import tsx bench/cold-start.ts` from `tests/`.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createFileJournal, createMultiCloudStore, getBytes, type WriteMode } from '@failover/storage';
import { faults } from '@failover/testkit';
import { withClouds } from './storage-clouds.js';

const ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 3);
const MODES: Record<string, WriteMode | undefined> = { default: undefined, primary: 'primary' };

await withClouds(async (clouds) => {
  const seed = clouds.multi({ failover: {} });
  for (let i = 0; i < 16; i++) await seed.put(`cold/${i}`, randomBytes(1024));
  await seed.repair();
  await clouds.proxies[0]!.setFault(faults.blackhole());
  let n = 0;
  for (const [mode, writes] of Object.entries(MODES)) {
    for (let round = 0; round < ROUNDS; round++) {
      const store = createMultiCloudStore({
        targets: clouds.targets,
        journal: createFileJournal({ dir: join(clouds.tmp, `cold-start-${++n}`) }),
        ...(writes === undefined ? {} : { writes }),
      });
      const t0 = performance.now();
      const at = () => (performance.now() - t0).toFixed(0).padStart(5);
      store.on('hedge', (e) => console.log(`${at()} ms  hedge ${e.from} -> ${e.to} after ${e.afterMs} ms`));
      store.on('held', (e) => console.log(`${at()} ms  ${e.target} ${e.held ? 'held' : 'no longer held'}`));
      const timed = async (what: string, fn: () => Promise<unknown>) => {
        const start = performance.now();
        await fn();
        console.log(
          `${at()} ms  ${mode}, round ${round + 1}: ${what} took ${(performance.now() - start).toFixed(0)} ms`,
        );
      };
      await timed('get', () => getBytes(store, `cold/${round}`));
      await timed('put', () => store.put(`cold/new-${n}`, randomBytes(1024)));
      await timed('second put', () => store.put(`cold/new-${n}-2`, randomBytes(1024)));
      await store.close();
    }
  }
});
