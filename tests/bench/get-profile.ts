/**
 * Many gets of one 1 KiB (or `bytes`) object over the three local clouds in one process, for
 * `node --cpu-prof`: `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/get-profile.ts [bytes] [calls] [concurrency] [mode]`
 * (mode: `default` (the multi-cloud store), `raw` (S3 GetObject), `s3` (the S3 adapter store)).
 * Prints gets per second and CPU ms per get.
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getBytes } from '@failover/storage';
import { timedCalls } from './profile-loop.js';
import { BUCKET, withClouds } from './storage-clouds.js';

const bytes = Number(process.argv[2] ?? 1024);
const calls = Number(process.argv[3] ?? 2000);
const concurrency = Number(process.argv[4] ?? 1);
const mode = process.argv[5] ?? 'default';

await withClouds(async (clouds) => {
  const store = clouds.multi();
  const keys = Array.from({ length: Number(process.env.KEYS ?? 16) }, (_, i) => `g/${i}`);
  for (const key of keys) await store.put(key, randomBytes(bytes));
  await store.repair();
  const gets: Record<string, (key: string) => Promise<unknown>> = {
    raw: async (key) => {
      const res = await clouds.s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return res.Body?.transformToByteArray();
    },
    s3: (key) => getBytes(clouds.targets[0], key),
  };
  const get = gets[mode] ?? ((key: string) => getBytes(store, key));
  for (let i = 0; i < 100; i++) await get(keys[i % keys.length]!);
  const before = clouds.proxies.map((p) => ({ total: p.counts.total, connections: p.counts.connections }));
  const r = await timedCalls(calls, concurrency, (k) => get(keys[k % keys.length]!));
  const reqs = clouds.proxies.map(
    (p, i) =>
      `${((p.counts.total - before[i]!.total) / calls).toFixed(2)} req, ${((p.counts.connections - before[i]!.connections) / calls).toFixed(2)} conn`,
  );
  // STATUS=1: each target's successes, hedges, latency and demotion at the end.
  if (process.env.STATUS) {
    for (const t of store.status().targets) {
      const { name, successes, hedges, latencyMs, demotedUntil } = t;
      console.log(JSON.stringify({ name, successes, hedges, latencyMs, demotedUntil }));
    }
  }
  console.log(`per get, by cloud (aws, gcp, azure): ${reqs.join('; ')}`);
  console.log(
    `${mode} ${bytes} B x${concurrency}: ${r.perSecond.toFixed(1)} gets/s, ${r.cpuMsPerCall.toFixed(2)} ms CPU per get`,
  );
});
