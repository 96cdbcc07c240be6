import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { JournalEntry } from '@failover/storage';
import { startTcpProxy } from '@failover/testkit';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { instance } from './fleet-helpers.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  clientOf,
  later,
  raw,
  redisServer,
  useCleanups,
} from './redis-helpers.js';

useCleanups();

const PASSWORD = 'hunter2-redis-password';
const WRONG_PASSWORD = 'not-the-password-either';
const SECRETS = [PASSWORD, WRONG_PASSWORD, encodeURIComponent(PASSWORD)];

function entry(id: string, key = 'k'): JournalEntry {
  return { id, op: 'put', key, version: id, holders: ['gcs'], missing: ['aws'], at: 1 };
}

/** Every text an error shows: inspected to the bottom (own fields, cause chain), each stack and message. */
function everythingIn(value: unknown): string {
  const parts = [inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true })];
  let current: unknown = value;
  for (let i = 0; i < 20 && current instanceof Error; i++) {
    parts.push(current.message, String(current.stack));
    current = current.cause;
  }
  try {
    parts.push(JSON.stringify(value));
  } catch {
    // not serializable: inspect covered it
  }
  return parts.join('\n');
}

function leaked(value: unknown): string[] {
  const text = everythingIn(value);
  return SECRETS.filter((secret) => text.includes(secret));
}

/** A client that holds the wrong password: never ready (ioredis keeps trying; node-redis gave up). */
async function wrongClient(kind: ClientKind, url: string) {
  if (kind === 'node-redis') {
    const c = createClient({ url, socket: { reconnectStrategy: false } });
    c.on('error', () => undefined);
    await c.connect().catch(() => undefined);
    return c;
  }
  const options = { retryStrategy: () => 50 };
  const c = kind === 'ioredis' ? new Redis(url, options) : new Redis5(url, options);
  c.on('error', () => undefined);
  later(() => c.disconnect());
  return c;
}

describe.each(CLIENT_KINDS)('a password-protected Redis (%s)', (kind) => {
  it('its password is in no error, cause chain, stack, fleet status or breaker event', async () => {
    const redis = await redisServer({ password: PASSWORD });
    const proxy = await startTcpProxy({ target: redis.port });
    later(() => proxy.close());
    const url = `redis://:${PASSWORD}@127.0.0.1:${proxy.port}`;
    const c = await clientOf(kind, url);
    const admin = await clientOf('node-redis', redis.url);
    const p = `secrets:${randomBytes(6).toString('hex')}`;
    const journal = createRedisJournal({ client: c, prefix: p, timeoutMs: 100 });
    const a = await instance(url, p, { kind, timeoutMs: 100 });
    const b = await instance(url, p, { kind, timeoutMs: 100 });
    const errors: unknown[] = [];
    const record = async (call: Promise<unknown>): Promise<void> => {
      await call.then(
        () => errors.push(new Error('expected a rejection')),
        (err: unknown) => errors.push(err),
      );
    };
    await journal.append(entry('ok'));

    // An error reply to our script (out of memory): the client's error carries the command's arguments.
    await raw(admin, ['CONFIG', 'SET', 'maxmemory', '1']);
    await record(journal.append(entry('oom', 'photos/private.jpg')));
    await raw(admin, ['CONFIG', 'SET', 'maxmemory', '0']);
    // A hung network, then resets, then a paused and a killed Redis.
    a.down.add('aws');
    proxy.setFault({ kind: 'stall' });
    await record(journal.append(entry('stalled')));
    await record(journal.pending());
    for (let i = 0; i < 3; i++) await a.call();
    proxy.setFault({ kind: 'reset' });
    await record(journal.append(entry('reset')));
    await record(journal.hasPending('k'));
    proxy.setFault(null);
    await redis.pause();
    await record(journal.append(entry('paused')));
    redis.resume();
    await redis.kill();
    await record(journal.append(entry('killed')));
    await record(journal.refreshBacklog());
    await redis.restart();
    // A client that holds the wrong password.
    const wrong = await wrongClient(kind, `redis://:${WRONG_PASSWORD}@127.0.0.1:${redis.port}`);
    await record(createRedisJournal({ client: wrong, prefix: p, timeoutMs: 100 }).append(entry('wrong')));

    expect(errors).toHaveLength(9);
    for (const error of errors) {
      expect(error).toMatchObject({ name: 'JournalError' });
      expect(['timeout', 'unavailable']).toContain((error as { kind: string }).kind);
      expect(leaked(error), everythingIn(error)).toEqual([]);
    }
    // The client's error object stays out: only its name, message and code are kept.
    const oom = errors[0] as Error & { cause?: { command?: unknown; message?: string } };
    expect(oom.message).toMatch(/OOM/);
    expect(oom.cause?.command).toBeUndefined();
    expect(everythingIn(oom)).not.toMatch(/photos\/private\.jpg/);
    // What the fleet reports and emits.
    await Promise.all([a.fleet.idle(), b.fleet.idle()]);
    for (const i of [a, b]) {
      expect(leaked(i.fleet.status())).toEqual([]);
      expect(leaked(i.events)).toEqual([]);
    }
  });
});
