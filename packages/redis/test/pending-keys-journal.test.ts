import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import { getBytes } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, watchPendingKeys, withPendingKeysWatch } from '../src/index.js';
import { client, later, listing, redisServer, storeOf, useCleanups } from './redis-helpers.js';

useCleanups();

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function until(check: () => boolean): Promise<void> {
  while (!check()) await nextTurn();
}

describe('withPendingKeysWatch: the store skips the shared lookup for keys nothing is pending for', () => {
  it('no Redis command for such a key; a key another instance wrote while AWS lacked it is looked up and read from a holder', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const writer = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    const watch = watchPendingKeys({ client: await client(redis.url), prefix });
    later(() => watch.close());
    await watch.ready;
    const readerClient = listing(await client(redis.url));
    const journal = withPendingKeysWatch(createRedisJournal({ client: readerClient.client, prefix }), watch);
    const reader = storeOf([aws, gcs], journal);
    const v1 = randomBytes(512);
    const v2 = randomBytes(512);
    await writer.put('quiet', v1);
    await writer.put('k', v1);
    // The reader's start (the journal's open and its pending entries, read once).
    await getBytes(reader, 'quiet');
    readerClient.sent.length = 0;

    // Nothing pending for either key: gets cost no Redis command.
    expect(journal.mayHavePending?.('quiet')).toBe(false);
    expect(sha256(await getBytes(reader, 'quiet'))).toBe(sha256(v1));
    expect(sha256(await getBytes(reader, 'k'))).toBe(sha256(v1));
    expect(readerClient.sent).toEqual([]);

    // The writer acknowledges v2 while AWS is down: Redis says "aws lacks v2"; AWS still has v1.
    aws.down = 'network';
    await writer.put('k', v2);
    aws.down = undefined;
    expect(sha256(await getBytes(aws.inner, 'k'))).toBe(sha256(v1));
    // Once the watch has the key (the pub/sub delay), the reader looks it up and skips AWS.
    await until(() => watch.has('k') === true);
    expect(sha256(await getBytes(reader, 'k'))).toBe(sha256(v2));
    expect(readerClient.sent.map((args) => args[0])).toContain('EVALSHA');
    // Still nothing for the quiet key.
    const before = readerClient.sent.length;
    await getBytes(reader, 'quiet');
    expect(readerClient.sent.length).toBe(before);
  });

  it('says "unknown" while the watch is disconnected, so the store asks Redis as without it', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const watch = watchPendingKeys({ client: await client(redis.url), prefix });
    later(() => watch.close());
    await watch.ready;
    const journal = withPendingKeysWatch(
      createRedisJournal({ client: await client(redis.url), prefix }),
      watch,
    );
    expect(journal.mayHavePending?.('k')).toBe(false);
    await redis.kill();
    await until(() => journal.mayHavePending?.('k') === undefined);
  });

  it('refuses what is not a Redis journal or a watch, naming the argument', async () => {
    const redis = await redisServer();
    const c = await client(redis.url);
    const watch = watchPendingKeys({ client: c, prefix: 'p' });
    later(() => watch.close());
    const journal = createRedisJournal({ client: c, prefix: 'p' });
    expect(() => withPendingKeysWatch({} as never, watch)).toThrow(InvalidOptionError);
    expect(() => withPendingKeysWatch({} as never, watch)).toThrow(/"journal"/);
    expect(() => withPendingKeysWatch(journal, null as never)).toThrow(/"watch"/);
  });
});
