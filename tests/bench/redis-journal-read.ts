/**
 * Reading a big Redis journal: N pending entries (default 100,000), then `pending()` three times,
 * each with a PING sent 5 ms after it starts on another connection: how long the read takes, and
 * how long it holds up another client's command (a fleet's other instances).
 *
 * `node --import tsx bench/redis-journal-read.ts [N]` from `tests/` (starts its own redis-server).
 */
import { createRedisJournal } from '@failover/redis';
import { startRedisServer } from '@failover/testkit';
import { createClient } from 'redis';
import { fillJournal } from './journal-fill.js';

const N = Number(process.argv[2] ?? 100000);
const redis = await startRedisServer();
const client = await createClient({ url: redis.url }).connect();
const other = await createClient({ url: redis.url }).connect();
const j = createRedisJournal({ client, prefix: 'rp', timeoutMs: 60000 });
await fillJournal(j, N);
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  const p = j.pending();
  await new Promise((res) => setTimeout(res, 5));
  const t1 = performance.now();
  await other.sendCommand(['PING']);
  const ping = performance.now() - t1;
  const all = await p;
  console.log(
    `pending() of ${all.length}: ${(performance.now() - t).toFixed(0)} ms; a PING sent 5 ms in waited ${ping.toFixed(0)} ms`,
  );
}
await client.quit();
await other.quit();
await redis.stop();
