/**
 * A long outage of one cloud: how the multi-cloud store behaves as its journal's backlog grows.
 * Three in-memory targets (so the clouds cost nothing and the store's own work shows), a file
 * journal, default options; the third target fails every call (`unavailable`) while N puts of
 * 256 bytes run 16 at a time, each journaled as missing there. Prints the put rate per 10,000, the
 * heap, then gets and a listing at that backlog, the time to reopen a store on the journal, and
 * a repair of the whole backlog once the target is back.
 *
 * `node --expose-gc --import tsx bench/backlog-scale.ts [N=100000]` from `tests/` (`DOWN=0`: the
 * third target stays up, for the heap without a backlog; `JOURNAL=redis`: a fleet's journal, Redis
 * on a redis-server of its own with a local file journal behind it, for one instance).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisJournal, withLocalFallback } from '@failover/redis';
import {
  type BlobStore,
  createFileJournal,
  createMemoryStore,
  createMultiCloudStore,
  StorageError,
} from '@failover/storage';
import { startRedisServer } from '@failover/testkit';
import { createClient } from 'redis';

const N = Number(process.argv[2] ?? 100_000);
const IN_FLIGHT = 16;
const dir = mkdtempSync(join(tmpdir(), 'backlog-scale-'));

let down = false;
/** The store, failing every call with `unavailable` while `down`. */
function downable(inner: BlobStore): BlobStore {
  return new Proxy(inner, {
    get(t, p, r) {
      const v: unknown = Reflect.get(t, p, r);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (down) throw new StorageError('unavailable', `${inner.name} is down`, { target: inner.name });
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

const targets = [
  createMemoryStore({ name: 'a' }),
  createMemoryStore({ name: 'b' }),
  downable(createMemoryStore({ name: 'c' })),
];
const heapMiB = (): string => {
  globalThis.gc?.();
  return (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
};
// JOURNAL=redis: a fleet's journal (Redis, with a local file journal for its outages), one instance.
const redis = process.env.JOURNAL === 'redis' ? await startRedisServer() : undefined;
const client = redis === undefined ? undefined : await createClient({ url: redis.url }).connect();
const journalOf = () =>
  client === undefined
    ? createFileJournal({ dir })
    : withLocalFallback(createRedisJournal({ client, prefix: 'scale' }), createFileJournal({ dir }));
const open = () => createMultiCloudStore({ targets, journal: journalOf() });
const secs = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);

let store = open();
await store.put('warm', Buffer.from('x'));
down = process.env.DOWN !== '0';
const body = randomBytes(256);
console.log(`${N} puts, ${IN_FLIGHT} in flight, third target ${down ? 'down' : 'up'}; heap ${heapMiB()} MiB`);
const t0 = performance.now();
let next = 0;
// Nothing keeps the event loop alive but the store's own work: if it empties with puts still
// waiting, a put waits on something no timer or socket will ever settle (a hang in an app).
const inFlight = new Set<number>();
process.on('beforeExit', () => {
  if (inFlight.size === 0) return;
  console.error(
    `the event loop emptied with ${inFlight.size} puts waiting: ${[...inFlight].slice(0, 5).join(', ')}`,
  );
  console.error(JSON.stringify(store.status().journal), JSON.stringify(store.status().repair));
  process.exit(1);
});
let chunk = performance.now();
async function worker(): Promise<void> {
  for (let i = next++; i < N; i = next++) {
    inFlight.add(i);
    await store.put(`k/${i}`, body);
    inFlight.delete(i);
    if ((i > 0 && i % 10_000 === 0) || i === N - 1) {
      const rate = (i % 10_000 === 0 ? 10_000 : i % 10_000) / ((performance.now() - chunk) / 1000);
      console.log(
        `  at ${i}: ${rate.toFixed(0)} puts/s, backlog ${store.status().journal.backlog}, heap ${heapMiB()} MiB`,
      );
      chunk = performance.now();
    }
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
const st = store.status();
console.log(
  `${N} puts in ${secs(t0)} s; backlog ${st.journal.backlog}, heap ${heapMiB()} MiB, repair passes meanwhile ${st.counts.repairPasses} (last ${st.repair.last?.durationMs ?? '-'} ms)`,
);
let g0 = performance.now();
for (let i = 0; i < 5000; i++) (await store.get(`k/${(i * 7919) % N}`)).body.resume();
console.log(`5000 gets: ${(5000 / ((performance.now() - g0) / 1000)).toFixed(0)}/s`);
g0 = performance.now();
let listed = 0;
for await (const _ of store.list({ prefix: 'k/' })) listed++;
console.log(`listing of ${listed}: ${(performance.now() - g0).toFixed(0)} ms`);
// Listings while writes go on: each put adds a key to the pending index (a narrow prefix, so the
// listing's own work is small and the index's shows).
g0 = performance.now();
let narrow = 0;
for (let i = 0; i < 50; i++) {
  await store.put(`k/new-${i}`, body);
  for await (const _ of store.list({ prefix: 'k/777' })) narrow++;
}
console.log(
  `50 puts, each followed by a listing of 'k/777' (${narrow / 50} keys): ${((performance.now() - g0) / 50).toFixed(1)} ms per pair`,
);
g0 = performance.now();
for (let i = 0; i < 50; i++) for await (const _ of store.list({ prefix: 'k/777' }));
console.log(`  the same listing with no write in between: ${((performance.now() - g0) / 50).toFixed(1)} ms`);
await store.close();
const r0 = performance.now();
store = open();
await store.head('warm');
console.log(
  `reopened (journal replayed) and a head answered: ${(performance.now() - r0).toFixed(0)} ms, backlog ${store.status().journal.backlog}`,
);
down = false;
const p0 = performance.now();
const rep = await store.repair();
console.log(
  `repair: ${secs(p0)} s, ${rep.repaired} copied, ${rep.failed.length} failed, backlog after ${rep.backlog}`,
);
await store.close();
await client?.quit();
await redis?.stop();
rmSync(dir, { recursive: true, force: true });
