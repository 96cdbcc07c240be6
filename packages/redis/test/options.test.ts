import { InvalidOptionError } from '@failover/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { resolveFleetOptions } from '../src/fleet-options.js';
import { createFleetHealth, createRedisJournal } from '../src/index.js';
import { resolveRedisJournalOptions } from '../src/journal-options.js';
import { watchPendingKeys } from '../src/pending-keys.js';

// Option checks only look at the shape of the client and router: nothing here talks to Redis.
const client = { sendCommand: () => Promise.resolve(null), duplicate: () => client };
const router = { trip: () => undefined, recover: () => undefined, on: () => () => undefined };

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('redis options, read like every option of the project', () => {
  it.each([
    [undefined, 'Invalid option "options": must be an object, got undefined'],
    [
      {},
      'Invalid option "client": is required (a node-redis client (createClient() from the redis package) or an ioredis client (new Redis() from the ioredis package))',
    ],
    [{ client: {} }, 'Invalid option "client": must be a node-redis client'],
    [
      { client, prefix: 'a b' },
      'Invalid option "prefix": must be a non-empty string of at most 200 characters',
    ],
    [
      { client, prefix: 'x'.repeat(201) },
      'Invalid option "prefix": must be a non-empty string of at most 200',
    ],
    [{ client, timeoutMs: 0 }, 'Invalid option "timeoutMs": must be an integer from 1 to 60000, got 0'],
    [{ client, name: '' }, 'Invalid option "name": must be a non-empty string, got ""'],
    [{ client, instanceId: 5 }, 'Invalid option "instanceId": must be a non-empty string, got 5'],
    [
      { client, timeout: 5 },
      'Invalid option "timeout": is not a known option (known: client, prefix, timeoutMs,',
    ],
  ])('journal %o', (options, expected) => {
    expect(message(() => resolveRedisJournalOptions(options as never))).toContain(expected);
  });

  it.each([
    [
      { client: { sendCommand: client.sendCommand }, router },
      'Invalid option "client": must be a node-redis client with duplicate()',
    ],
    [{ client }, 'Invalid option "router": is required (a router from createFailover()'],
    [
      { client, router: {} },
      'Invalid option "router": must be a router from createFailover() (with trip, recover and on), got an object',
    ],
    [{ client, router, probes: 0 }, 'Invalid option "probes": must be an integer from 1 to 100, got 0'],
    [
      { client, router, tripAfter: -1 },
      'Invalid option "tripAfter": must be an integer from 0 to 1000000, got -1',
    ],
    [
      { client, router, failureWindowMs: 0 },
      'Invalid option "failureWindowMs": must be an integer from 1 to 3600000',
    ],
    [
      { client, router, ejectResetTimeoutMs: 1.5 },
      'Invalid option "ejectResetTimeoutMs": must be an integer',
    ],
    [
      { client, router, probeLeaseMs: 3_600_001 },
      'Invalid option "probeLeaseMs": must be an integer from 1 to 3600000',
    ],
    [
      { client, router, probeLeaseRenewMs: 5 },
      'Invalid option "probeLeaseRenewMs": must be an integer from 10 to 600000, got 5',
    ],
    [{ client, router, probe: 1 }, 'Invalid option "probe": is not a known option'],
  ])('fleet %o', (options, expected) => {
    expect(message(() => resolveFleetOptions(options as never))).toContain(expected);
  });

  it('keeps the defaults', () => {
    const j = resolveRedisJournalOptions({ client } as never);
    expect([j.prefix, j.timeoutMs, j.name]).toEqual([
      'failover:journal',
      1000,
      'redis-journal:failover:journal',
    ]);
    const f = resolveFleetOptions({ client, router } as never);
    expect([
      f.prefix,
      f.timeoutMs,
      f.probes,
      f.probeLeaseMs,
      f.probeLeaseRenewMs,
      f.tripAfter,
      f.failureWindowMs,
      f.ejectResetTimeoutMs,
    ]).toEqual(['failover:fleet', 250, 1, 5000, 1000, 5, 1000, 30_000]);
  });

  it('watchPendingKeys checks its options before touching the client', () => {
    expect(message(() => watchPendingKeys({ client, timeoutMs: 0 } as never))).toBe(
      'Invalid option "timeoutMs": must be an integer from 1 to 60000, got 0',
    );
    expect(message(() => watchPendingKeys({ client, prefx: 'a' } as never))).toContain(
      '"prefx": is not a known option',
    );
  });

  it('takes an ioredis client, but not one with a keyPrefix (its keys and our channels would part)', () => {
    // Real ioredis clients that never connect: option checks send nothing.
    const plain = new Redis({ lazyConnect: true });
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    expect(() => createRedisJournal({ client: plain })).not.toThrow();
    expect(() => resolveFleetOptions({ client: plain, router })).not.toThrow();
    for (const make of [
      () => createRedisJournal({ client: prefixed }),
      () => createFleetHealth({ client: prefixed, router }),
      () => watchPendingKeys({ client: prefixed }),
    ]) {
      expect(message(make)).toBe(
        'Invalid option "client": must not have a keyPrefix (give this package its own prefix with the `prefix` option; `client.duplicate({ keyPrefix: "" })` makes a client without one)',
      );
    }
    // `duplicate({ keyPrefix: '' })`, as the message says, is accepted.
    expect(() => createRedisJournal({ client: prefixed.duplicate({ keyPrefix: '' }) })).not.toThrow();
  });
});
