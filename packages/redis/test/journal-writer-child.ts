// A writer instance for journal-kill.test.ts: appends entries to a Redis journal and prints the id
// of each one once `append` resolved (acknowledged). Runs until killed.
import { createClient } from 'redis';
import { createRedisJournal } from '../src/index.js';

const [url, prefix] = process.argv.slice(2);
const client = createClient({ url, socket: { reconnectStrategy: () => 20 } });
client.on('error', () => undefined);
await client.connect();
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
