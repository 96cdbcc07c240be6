import { randomBytes } from 'node:crypto';
import type { JournalEntry } from '@failover/storage';
import { startTcpProxy } from '@failover/testkit';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { clientOf, later, redisServer, useCleanups } from './redis-helpers.js';

// What only ioredis needs: it queues commands while disconnected (offline queue), has no way to
// take back a command it was given, and resends the commands that were on the wire when its
// connection dropped. Every test runs with ioredis 6 and ioredis 5 at their defaults
// (enableOfflineQueue, maxRetriesPerRequest 20, autoResendUnfulfilledCommands).

useCleanups();

const prefix = () => `io:${randomBytes(6).toString('hex')}`;

function entry(fields: Partial<JournalEntry> & Pick<JournalEntry, 'id'>): JournalEntry {
  return { op: 'put', key: 'k', version: 'v1', holders: ['gcs'], missing: ['aws'], at: 1, ...fields };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

type Io = Redis | Redis5;
const KINDS = ['ioredis', 'ioredis5'] as const;

/** An ioredis client that is not awaited: it connects in the background. */
function connecting(kind: (typeof KINDS)[number], url: string): Io {
  const options = { retryStrategy: (times: number) => Math.min(20 * 2 ** times, 200) };
  const c = kind === 'ioredis' ? new Redis(url, options) : new Redis5(url, options);
  c.on('error', () => undefined);
  later(() => c.disconnect());
  return c;
}

/** The ids pending in the journal under `p`, read on a fresh node-redis connection. */
async function pendingIds(url: string, p: string): Promise<string[]> {
  const journal = createRedisJournal({ client: await clientOf('node-redis', url), prefix: p });
  return (await journal.pending()).map((e) => e.id);
}

describe.each(KINDS)('an ioredis client (%s)', (kind) => {
  it('while its connection is lost, a call fails at once (not after its timeout) and is never applied later', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    // ioredis's own reconnect backoff, as an application that sets nothing has it.
    const c = (await clientOf(kind, redis.url, { defaultRetry: true })) as Io;
    const p = prefix();
    // A timeout no test waits for: the call must not wait for it.
    const journal = createRedisJournal({ client: c, prefix: p, timeoutMs: 60_000 });
    await journal.append(entry({ id: 'before' }));
    await redis.kill();
    await until(() => c.status !== 'ready');
    const error = await journal.append(entry({ id: 'while-down', key: 'k2' })).catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'JournalError', kind: 'unavailable' });
    expect((error as Error).message).toMatch(
      /the ioredis client is not ready \((its connection was lost|.*reconnecting)/,
    );
    // Nothing was left in ioredis's offline queue, to be sent when it reconnects.
    expect((c as unknown as { offlineQueue: { length: number } }).offlineQueue.length).toBe(0);
    await redis.restart();
    expect(await pendingIds(redis.url, p)).toEqual(['before']);
    await until(() => c.status === 'ready');
    await journal.refreshBacklog(); // after whatever ioredis had to send on reconnect
    expect(await pendingIds(redis.url, p)).toEqual(['before']);
  });

  it('a call made while it connects waits for ready; one that timed out meanwhile is never sent', async () => {
    const redis = await redisServer();
    const proxy = await startTcpProxy({ target: redis.port });
    later(() => proxy.close());
    // The TCP connection opens, the handshake hangs: ioredis stays in `connect`, not ready.
    proxy.setFault({ kind: 'stall' });
    const c = connecting(kind, `redis://127.0.0.1:${proxy.port}`);
    await until(() => c.status === 'connect');
    const p = prefix();
    // Redis has the append script already: a late EVALSHA would be applied, not refused (NOSCRIPT).
    await createRedisJournal({ client: await clientOf('node-redis', redis.url), prefix: p }).append(
      entry({ id: 'warm', key: 'warm' }),
    );
    const gaveUp = await createRedisJournal({ client: c, prefix: p, timeoutMs: 20 })
      .append(entry({ id: 'gave-up' }))
      .catch((err: unknown) => err);
    expect(gaveUp).toMatchObject({ kind: 'timeout' });
    const waited = createRedisJournal({ client: c, prefix: p, timeoutMs: 60_000 }).append(
      entry({ id: 'waited', key: 'k2' }),
    );
    proxy.setFault(null);
    await waited;
    expect(c.status).toBe('ready');
    expect(await pendingIds(redis.url, p)).toEqual(['warm', 'waited']);
  });

  it('a command on the wire when Redis hangs is applied late, and an older version applied late never hides a newer one', async () => {
    const redis = await redisServer();
    const a = await clientOf(kind, redis.url);
    const b = await clientOf(kind, redis.url);
    const p = prefix();
    const onA = createRedisJournal({ client: a, prefix: p, timeoutMs: 50 });
    const onB = createRedisJournal({ client: b, prefix: p, timeoutMs: 60_000 });
    await Promise.all([onA.open?.(), onB.open?.()]); // scripts loaded
    await redis.pause();
    later(() => redis.resume());
    // Instance A writes v1 (AWS lacks it): written to the socket, unanswered, given up on.
    const late = await onA
      .append(entry({ id: 'v1', version: 'v1', holders: ['gcs'], missing: ['aws'] }))
      .catch((err: unknown) => err);
    expect(late).toMatchObject({ kind: 'timeout' });
    // Instance B writes v2 to AWS only (GCS lacks it); Redis answers both once it runs again.
    const newer = onB.append(entry({ id: 'v2', version: 'v2', holders: ['aws'], missing: ['gcs'] }));
    redis.resume();
    await newer;
    await answeredAfter(onA); // answered after A's late command: it has been applied
    const pending = await onB.pending();
    // Whichever of the two Redis ran first: only "GCS lacks v2" is left.
    expect(pending.map((e) => [e.id, [...e.missing]])).toEqual([['v2', ['gcs']]]);
    expect(await onB.refreshBacklog()).toBe(1);
  });

  it('a command resent by ioredis after a reconnect (autoResendUnfulfilledCommands) keeps the journal consistent', async () => {
    const redis = await redisServer();
    const proxy = await startTcpProxy({ target: redis.port });
    later(() => proxy.close());
    const a = await clientOf(kind, `redis://127.0.0.1:${proxy.port}`);
    const b = await clientOf(kind, redis.url);
    const p = prefix();
    const onA = createRedisJournal({ client: a, prefix: p, timeoutMs: 50 });
    const onB = createRedisJournal({ client: b, prefix: p, timeoutMs: 60_000 });
    await Promise.all([onA.open?.(), onB.open?.()]);
    // A's commands hang on the network, A gives up on them, then its connection is reset.
    proxy.setFault({ kind: 'stall' });
    const given = await Promise.all([
      onA.append(entry({ id: 'v1', version: 'v1', holders: ['gcs'], missing: ['aws'] })).catch((e) => e),
      onA.append(entry({ id: 'other', key: 'other', missing: ['aws'] })).catch((e) => e),
    ]);
    expect(given).toMatchObject([{ kind: 'timeout' }, { kind: 'timeout' }]);
    proxy.setFault({ kind: 'reset' });
    await until(() => (a as Io).status !== 'ready');
    // Meanwhile B writes v2 (GCS lacks it) and so on.
    await onB.append(entry({ id: 'v2', version: 'v2', holders: ['aws'], missing: ['gcs'] }));
    proxy.setFault(null);
    await until(() => (a as Io).status === 'ready');
    await answeredAfter(onA); // sent after the resent commands
    // ioredis resent A's two appends: `other` arrived late; v1 arrived after v2 and hid nothing.
    const pending = await onB.pending();
    expect(pending.map((e) => [e.id, [...e.missing]])).toEqual([
      ['v2', ['gcs']],
      ['other', ['aws']],
    ]);
    expect(await onB.refreshBacklog()).toBe(2);
  });
});

/**
 * Asks `journal` (over one connection) until it answers: an answer comes after every command sent
 * before it on that connection, so those have been applied. Its short time limit (50 ms) can pass
 * on a loaded machine (CI beside two busy loops); a question that timed out was still sent after
 * them, so the next one is asked.
 */
async function answeredAfter(journal: { refreshBacklog(): Promise<number> }): Promise<void> {
  for (let i = 0; ; i++) {
    const err = await journal.refreshBacklog().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (err === undefined) return;
    if (i >= 100 || (err as { kind?: unknown }).kind !== 'timeout') throw err;
  }
}
