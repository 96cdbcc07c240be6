import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  createMultiCloudStore,
  type GetResult,
  getBytes,
  type Journal,
  type MultiCloudStore,
} from '@failover/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { client, later, overriding, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();
afterEach(() => {
  vi.useRealTimers();
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function storeOf(targets: SwitchableStore[], journal: Journal, bufferBytes?: number): MultiCloudStore {
  const store = createMultiCloudStore({
    targets,
    journal,
    failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
    amnesia: false,
    repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
    ...(bufferBytes === undefined ? {} : { reads: { bufferBytes } }),
  });
  later(() => store.close());
  return store;
}

/**
 * The reader's shared journal, whose `pendingOf` answers only once `release` has resolved: a
 * lookup that answers after the reader's first cloud read has returned the older copy.
 */
function gated(journal: Journal, release: () => Promise<void>): Journal {
  return overriding(journal, {
    pendingOf: async (key) => {
      await release();
      return journal.pendingOf!(key);
    },
  });
}

/**
 * AWS as the reader sees it: the bodies it serves are kept; after `arm()`, `served` resolves once
 * the next body was served (read to its end, closed, or handed on for a turn).
 */
function watched(aws: SwitchableStore): {
  store: SwitchableStore;
  bodies: Readable[];
  arm(): void;
  served(): Promise<void>;
} {
  const bodies: Readable[] = [];
  let onServed: (() => void) | undefined;
  let served: Promise<void> = Promise.resolve();
  const store = new Proxy(aws, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return async (...args: Parameters<SwitchableStore['get']>): Promise<GetResult> => {
          const res = await target.get(...args);
          bodies.push(res.body as Readable);
          const done = onServed;
          onServed = undefined;
          if (done !== undefined) {
            res.body.once('end', done);
            res.body.once('close', done);
            setImmediate(done);
          }
          return res;
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return {
    store,
    bodies,
    arm: () => {
      served = new Promise<void>((resolve) => {
        onServed = resolve;
      });
    },
    served: () => served,
  };
}

describe('a read racing a newer write pending in the shared journal', () => {
  for (const mode of ['buffered', 'streamed'] as const) {
    for (const order of ['read first', 'lookup first'] as const) {
      it(`never returns the older copy (${mode} body, ${order})`, async () => {
        const redis = await redisServer();
        const prefix = `t:${randomBytes(6).toString('hex')}`;
        const aws = switchable('aws');
        const gcs = switchable('gcs');
        const size = 4096;
        const v1 = randomBytes(size);
        const v2 = randomBytes(size);
        const shared = createRedisJournal({ client: await client(redis.url), prefix });
        // The reader instance reads AWS first; once armed, its lookup answers only after AWS
        // served its copy (or at once, before the read has started).
        const seen = watched(aws);
        let armed = false;
        const release = () => (armed && order === 'read first' ? seen.served() : Promise.resolve());
        const reader = storeOf(
          [seen.store, gcs],
          gated(shared, release),
          mode === 'streamed' ? 1024 : undefined,
        );
        // The writer instance: v1 everywhere (the reader reads it), then v2 acknowledged while AWS
        // is down: journaled in Redis only, the reader's own journal index knows nothing of it.
        const writer = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
        await writer.put('k', v1);
        expect(sha256(await getBytes(reader, 'k'))).toBe(sha256(v1));
        aws.down = 'network';
        await writer.put('k', v2);
        await writer.close();
        aws.down = undefined;
        expect((await shared.pendingOf('k')).map((e) => e.missing)).toEqual([['aws']]);
        expect(sha256(await getBytes(aws.inner, 'k'))).toBe(sha256(v1));
        seen.bodies.length = 0;
        armed = true;
        seen.arm();
        // The lookup's time cap is held by fake timers: never reached, whatever the machine's load.
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        const got = await reader.get('k');
        expect(got).not.toBeNull();
        expect(got?.info.target).toBe('gcs');
        const bytes: Buffer[] = [];
        for await (const chunk of got!.body) bytes.push(Buffer.from(chunk));
        expect(sha256(Buffer.concat(bytes))).toBe(sha256(v2));
        if (order === 'read first') {
          // The race did happen: AWS served the older copy, which the read dropped and closed.
          expect(seen.bodies.length).toBe(1);
          while (!seen.bodies[0]!.destroyed && !seen.bodies[0]!.readableEnded) await nextTurn();
        }
        vi.useRealTimers();
      });
    }
  }
  it('keeps the first read when the pending version is the one it read (no second read)', async () => {
    const redis = await redisServer();
    const prefix = `t:${randomBytes(6).toString('hex')}`;
    const aws = switchable('aws');
    const gcs = switchable('gcs');
    const v1 = randomBytes(1024);
    const v2 = randomBytes(1024);
    const shared = createRedisJournal({ client: await client(redis.url), prefix });
    const seen = watched(aws);
    let armed = false;
    const reader = storeOf(
      [seen.store, gcs],
      gated(shared, () => (armed ? seen.served() : Promise.resolve())),
    );
    const writer = storeOf([aws, gcs], createRedisJournal({ client: await client(redis.url), prefix }));
    await writer.put('k', v1);
    expect(sha256(await getBytes(reader, 'k'))).toBe(sha256(v1));
    // v2 acknowledged while GCS is down: AWS, which the reader reads first, holds it.
    gcs.down = 'network';
    await writer.put('k', v2);
    await writer.close();
    gcs.down = undefined;
    expect((await shared.pendingOf('k')).map((e) => e.missing)).toEqual([['gcs']]);
    const gcsGets = gcs.calls.get ?? 0;
    seen.bodies.length = 0;
    armed = true;
    seen.arm();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const got = await reader.get('k');
    expect(got?.info.target).toBe('aws');
    const bytes: Buffer[] = [];
    for await (const chunk of got!.body) bytes.push(Buffer.from(chunk));
    expect(sha256(Buffer.concat(bytes))).toBe(sha256(v2));
    // One read in all: the one that ran beside the lookup.
    expect(seen.bodies.length).toBe(1);
    expect(gcs.calls.get ?? 0).toBe(gcsGets);
    vi.useRealTimers();
  });
});
