import { randomBytes } from 'node:crypto';
import { type RedisLocalServer, startRedisServer } from '@failover/testkit';
import { journalContract } from '@failover/testkit/contract';
import { afterAll, beforeAll } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { type Client, connectClient } from './redis-helpers.js';

let redis: RedisLocalServer;
let client: Client;

beforeAll(async () => {
  redis = await startRedisServer();
  client = await connectClient(redis.url);
});
afterAll(async () => {
  await client?.close();
  await redis?.stop();
});

journalContract('redis', () => {
  const prefix = `contract:${randomBytes(6).toString('hex')}`;
  return {
    journal: createRedisJournal({ client, prefix }),
    reopen: () => createRedisJournal({ client, prefix }),
  };
});
