import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Store } from '@failover/s3';
import { createFileJournal, createMultiCloudStore, createMemoryStore } from '@failover/storage';
import { createFaultProxy, startS3Server } from '@failover/testkit';

const BIG = Number(process.env.BIG ?? 256 * 1024 * 1024);
const mode = process.env.MODE ?? 'proxy';
const s3 = await startS3Server({ buckets: ['bench'] });
const proxy = await createFaultProxy({ target: s3.origin, flavor: 's3' });
const client = mode === 'proxy' ? s3.clientFor(proxy.origin, { sdkRetries: 0 }) : s3.clientFor(s3.origin, { sdkRetries: 0 });
const tmp = await mkdtemp(join(tmpdir(), 'memtmp-'));
const adapter = createS3Store({ client, bucket: 'bench', name: 'aws' });
const store = process.env.ADAPTER ? adapter : createMultiCloudStore({ targets: [adapter, createMemoryStore({ name: 'mem' })], journal: createFileJournal({ dir: join(tmp, 'j') }), repair: { delayMs: false, intervalMs: false, onRecovery: false }, spool: { dir: tmp } });
function gen(total: number): Readable {
  const pattern = randomBytes(65536); let sent = 0;
  return new Readable({ read() { if (sent >= total) { this.push(null); return; } const n = Math.min(65536, total - sent); const c = Buffer.allocUnsafe(n); pattern.copy(c, 0, 0, n); sent += n; this.push(c); } });
}
await store.put('warm', gen(20 * 1024 * 1024));
(globalThis as any).gc?.();
const m0 = process.memoryUsage();
let peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const t = setInterval(() => { const m = process.memoryUsage(); for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]); }, 50);
const s = performance.now();
await store.put('big', gen(BIG), { size: BIG });
clearInterval(t);
const M = (x: number) => (x / 1048576).toFixed(1);
console.log(mode, process.env.ADAPTER ? 'adapter' : 'multi', ((performance.now() - s) / 1000).toFixed(1), 's', 'rss', M(m0.rss), '->', M(peak.rss), 'heap', M(m0.heapUsed), '->', M(peak.heapUsed), 'ext', M(m0.external), '->', M(peak.external), 'ab', M(m0.arrayBuffers), '->', M(peak.arrayBuffers));
if ('close' in store) await (store as any).close();
client.destroy(); await proxy.close(); await s3.stop(); await rm(tmp, { recursive: true, force: true });
