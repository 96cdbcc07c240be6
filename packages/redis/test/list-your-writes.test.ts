import { randomBytes } from 'node:crypto';
import { createMultiCloudStore, isPrefixEntry, type Journal, type MultiCloudStore } from '@failover/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { client, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();
afterEach(() => {
  vi.useRealTimers();
});

function storeOf(targets: SwitchableStore[], journal: Journal): MultiCloudStore {
  const store = createMultiCloudStore({
    targets,
    journal,
    failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
    amnesia: false,
    repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
  });
  later(() => store.close());
  return store;
}

async function keysOf(store: MultiCloudStore, prefix: string, delimiter?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.list({ prefix, ...(delimiter === undefined ? {} : { delimiter }) })) {
    out.push(isPrefixEntry(e) ? e.prefix : e.key);
  }
  return out;
}

/**
 * Fleet-wide read-your-writes for listings (found by the fleet-mode Jepsen soak: lists on one
 * instance missed keys another had written, and showed keys it had deleted, while the listed cloud
 * lacked those writes). Two instances share the clouds and a Redis journal; the writer writes while
 * AWS is down and closes; the reader, whose own index knows nothing of it, lists AWS first.
 */
describe('a listing on another instance of the fleet', () => {
  it('shows a put and hides a delete that the listed cloud lacks, from the shared journal', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const writer = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    const reader = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    await writer.put('a/k1', Buffer.from('one'));
    await writer.put('a/k2', Buffer.from('two'));
    await writer.put('b/k9', Buffer.from('other prefix'));
    expect(await keysOf(reader, 'a/')).toEqual(['a/k1', 'a/k2']);
    aws.down = 'network';
    await writer.put('a/k3', Buffer.from('three')); // AWS lacks it
    await writer.delete('a/k2'); // AWS still holds it
    await writer.put('a/sub/k4', Buffer.from('four')); // under a common prefix
    await writer.close();
    aws.down = undefined;
    expect((await aws.inner.head('a/k2')) !== null).toBe(true);
    expect(await aws.inner.head('a/k3')).toBeNull();
    // The shared lookup's time cap is held by fake timers: never reached, whatever the load.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const calls = aws.calls.list ?? 0;
    expect(await keysOf(reader, 'a/')).toEqual(['a/k1', 'a/k3', 'a/sub/k4']);
    expect(await keysOf(reader, 'a/', '/')).toEqual(['a/k1', 'a/k3', 'a/sub/']);
    expect(aws.calls.list ?? 0).toBeGreaterThan(calls); // AWS was the cloud listed
    vi.useRealTimers();
  });
});
