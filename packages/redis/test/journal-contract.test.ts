import { randomBytes } from 'node:crypto';
import { type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { journalContract } from '@failover/testkit/contract';
import { afterAll, beforeAll } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { type AnyClient, CLIENT_KINDS, connectAny, destroy } from './redis-helpers.js';

let redis: RedisLocalServer;
const clients = new Map<string, AnyClient>();

beforeAll(async () => {
  redis = await startRedisServer();
  for (const kind of CLIENT_KINDS) clients.set(kind, await connectAny(kind, redis.url));
});
afterAll(async () => {
  for (const c of clients.values()) destroy(c);
  await redis?.stop();
});

// The same suite over every supported client: node-redis, ioredis 6 and ioredis 5.
for (const kind of CLIENT_KINDS) {
  journalContract(`redis (${kind})`, () => {
    const prefix = `contract:${randomBytes(6).toString('hex')}`;
    const client = clients.get(kind);
    if (client === undefined) throw new Error(`no ${kind} client`);
    return {
      journal: createRedisJournal({ client, prefix }),
      reopen: () => createRedisJournal({ client, prefix }),
    };
  });
}
