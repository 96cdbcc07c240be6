// A writer instance for journal-kill.test.ts: appends entries to a Redis journal and prints the id
// of each one once `append` resolved (acknowledged). Runs until killed.
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient } from 'redis';
import { createRedisJournal } from '../src/index.js';

// argv: url, prefix, client kind (node-redis, ioredis or ioredis5).
const [url = '', prefix, kind = 'node-redis'] = process.argv.slice(2);
async function connect() {
  if (kind === 'node-redis') {
    const c = createClient({ url, socket: { reconnectStrategy: () => 20 } });
    c.on('error', () => undefined);
    return c.connect();
  }
  const options = { lazyConnect: true, retryStrategy: () => 20 };
  const c = kind === 'ioredis' ? new Redis(url, options) : new Redis5(url, options);
  c.on('error', () => undefined);
  await c.connect();
  return c;
}
const client = await connect();
const journal = createRedisJournal({ client, prefix, timeoutMs: 60_000 });
for (let i = 0; ; i++) {
  const id = `e${i}`;
  try {
    await journal.append({
      id,
      op: 'put',
      key: `photos/${i % 300}.jpg`,
      version: String(i).padStart(8, '0'),
      holders: ['gcp'],
      missing: ['aws'],
      at: Date.now(),
    });
    process.stdout.write(`${id}\n`);
  } catch {
    process.stdout.write(`failed ${id}\n`);
  }
}
