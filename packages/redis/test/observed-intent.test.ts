import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type BlobStore,
  createMultiCloudStore,
  getBytes,
  type Journal,
  type MultiCloudStore,
  StorageError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import { client, keysOf, later, overriding, redisServer, signal, useCleanups } from './redis-helpers.js';

useCleanups();

/** Like the other fleet tests' stores, but a put needs two copies (no degraded write). */
function storeOf(targets: ReturnType<typeof switchable>[], journal: Journal): MultiCloudStore {
  const store = createMultiCloudStore({
    targets,
    journal,
    writes: { quorum: 2 },
    failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
    amnesia: false,
    repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
  });
  later(() => store.close());
  return store;
}

/** A Redis server, three clouds, and a new client and journal over one prefix per call. */
async function world() {
  const redis = await redisServer();
  const prefix = `t:${randomBytes(6).toString('hex')}`;
  const targets = ['aws', 'gcp', 'azure'].map((n) => switchable(n));
  const journalOf = async () => createRedisJournal({ client: await client(redis.url), prefix });
  return { targets, journalOf };
}

/**
 * With aws (v2's only copy) down, `store` does not read v1: it fails with `unavailable`, or reads
 * v2 if the repair the confirmation asked for copied it elsewhere first (a loaded machine).
 */
async function notOlder(store: MultiCloudStore): Promise<void> {
  const got = await text(store, 'k').catch((err: unknown) => err);
  if (typeof got === 'string') expect(got).toBe('v2');
  else expect(got).toMatchObject({ kind: 'unavailable' });
}

/** The same on a restarted instance (nothing in its memory). */
async function noOlderAfterRestart(
  targets: ReturnType<typeof switchable>[],
  journal: Journal,
): Promise<void> {
  await notOlder(storeOf(targets, journal));
}

const text = async (store: BlobStore, key: string) => Buffer.from(await getBytes(store, key)).toString();

/**
 * `writer` deletes `k`; every cloud's delete first waits for a read of `k` on `reader` (made while
 * the delete is in flight), then fails. Resolves with what that read returned (`null`: not found).
 */
async function deleteFailingAfterRead(
  writer: MultiCloudStore,
  reader: MultiCloudStore,
  targets: ReturnType<typeof switchable>[],
): Promise<string | null> {
  let read: Promise<string | null> | undefined;
  const readFirst = async () => {
    read ??= getBytes(reader, 'k').then(
      (b) => Buffer.from(b).toString(),
      (err: unknown) =>
        err instanceof Error && 'kind' in err && err.kind === 'not_found' ? null : Promise.reject(err),
    );
    await read;
    throw new StorageError('unavailable', 'the delete failed after the read');
  };
  for (const t of targets) t.interpose = readFirst;
  await expect(writer.delete('k')).rejects.toThrow();
  return read!;
}

/**
 * A put that reached one cloud and was never acknowledged (its writer failed or died) leaves an
 * intent in the shared journal. A read on another instance that returns that version confirms
 * the intent before it returns: no read of any instance goes back behind it afterwards, also once
 * the reading process has restarted (its memory of what it read is gone).
 */
describe('a read that returned an unacknowledged put of another instance', () => {
  it('confirms its intent in the shared journal: no instance reads the older version afterwards, also after a restart', async () => {
    const { targets, journalOf } = await world();
    const writer = storeOf(targets, await journalOf());
    await writer.put('k', 'v1');
    // v2 reaches aws only: the put fails (no quorum) and is journaled as an intent held by aws.
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    await expect(writer.put('k', 'v2')).rejects.toThrow();
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    const pending = await (await journalOf()).pending();
    expect(pending).toEqual([expect.objectContaining({ key: 'k', intent: true, holders: ['aws'] })]);

    const reader = storeOf(targets, await journalOf());
    expect(await text(reader, 'k')).toBe('v2'); // from aws, the first in the read order
    const confirmed = await (await journalOf()).pending();
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]?.intent).not.toBe(true);

    // aws goes down; gcp and azure hold v1 only. The reader restarted (a new process: nothing in
    // memory) and any other instance fail rather than go back.
    targets[0]!.down = 'network';
    const restarted = storeOf(targets, await journalOf());
    await notOlder(restarted);
    await notOlder(writer);

    // Back up: repair by any instance copies v2 everywhere, and the entry is settled.
    targets[0]!.down = undefined;
    restarted.recover('aws');
    await restarted.repair();
    for (const t of targets) expect(Buffer.from(await getBytes(t.inner, 'k')).toString()).toBe('v2');
    expect(await (await journalOf()).pending()).toEqual([]);
    expect(await text(writer, 'k')).toBe('v2');
  });

  it("the writer's failure record after a reader confirmed its intent leaves it confirmed", async () => {
    const { targets, journalOf } = await world();
    const writer = storeOf(targets, await journalOf());
    const reader = storeOf(targets, await journalOf());
    await writer.put('k', 'v1');
    // The writer's v2 lands on aws; gcp and azure time out (their requests never land here).
    // While the put is in flight, once aws holds v2, the reader reads it from there.
    targets[1]!.late = true;
    targets[2]!.late = true;
    let read: Promise<string> | undefined;
    targets[1]!.interpose = async () => {
      while ((await text(targets[0]!.inner, 'k').catch(() => '')) !== 'v2') await nextTurn();
      read = text(reader, 'k');
      await read;
    };
    await expect(writer.put('k', 'v2')).rejects.toThrow();
    expect(await read).toBe('v2');
    targets[1]!.late = false;
    targets[2]!.late = false;
    const pending = await (await journalOf()).pending();
    expect(pending).toHaveLength(1);
    expect(pending[0]?.intent).not.toBe(true);
    targets[0]!.down = 'network';
    await noOlderAfterRestart(targets, await journalOf());
  });
});

/**
 * A delete in flight on one instance leaves an intent in the shared journal; a read on another
 * instance that answers "not found" because of it confirms the intent first (atomically against
 * the writer's withdrawal), so the delete takes effect even when it then fails on every cloud:
 * no instance finds the object again after a read said it was gone.
 */
describe("a read that answered 'not found' by another instance's delete in flight", () => {
  it('confirms the delete: it takes effect although it failed on every cloud, and no instance reads the object again', async () => {
    const { targets, journalOf } = await world();
    const writer = storeOf(targets, await journalOf());
    const reader = storeOf(targets, await journalOf());
    await writer.put('k', 'v1');
    const read = await deleteFailingAfterRead(writer, reader, targets);
    expect(read).toBeNull();
    for (const t of targets) expect(Buffer.from(await getBytes(t.inner, 'k')).toString()).toBe('v1');
    // The delete stands: every instance, also a new one, answers "not found"; repair completes it.
    const fresh = storeOf(targets, await journalOf());
    for (const s of [writer, reader, fresh]) expect(await s.head('k')).toBeNull();
    await fresh.repair();
    for (const t of targets) expect(await t.inner.head('k')).toBeNull();
    expect(await (await journalOf()).pending()).toEqual([]);
    expect(await writer.head('k')).toBeNull();
  });

  it('a delete its writer withdrew first (it reached no cloud) is not answered: the read finds the object', async () => {
    const { targets, journalOf } = await world();
    const writer = storeOf(targets, await journalOf());
    const reader = storeOf(targets, await journalOf());
    await writer.put('k', 'v1');
    for (const t of targets) t.down = 'unavailable';
    await expect(writer.delete('k')).rejects.toThrow();
    for (const t of targets) t.down = undefined;
    expect(await text(reader, 'k')).toBe('v1');
    expect(await text(writer, 'k')).toBe('v1');
  });
});

/**
 * A journal that answers lookups but cannot settle intents (as when Redis goes away between the
 * two calls).
 */
function awayForSettling(shared: Journal): Journal {
  return overriding(shared, {
    settleIntent: () => Promise.reject(new StorageError('unavailable', 'the shared journal is away')),
  });
}

describe("a read that cannot confirm another instance's delete in flight (the shared journal is away for it)", () => {
  it('reads the clouds as if the delete were not there: no "not found" that the withdrawn delete would undo', async () => {
    const { targets, journalOf } = await world();
    const writer = storeOf(targets, await journalOf());
    const reader = storeOf(targets, awayForSettling(await journalOf()));
    await writer.put('k', 'v1');
    const read = await deleteFailingAfterRead(writer, reader, targets);
    // The delete reached no cloud and was withdrawn: the read must not have said "not found".
    expect(read).toBe('v1');
    expect(await text(writer, 'k')).toBe('v1');
    expect(await text(reader, 'k')).toBe('v1');
  });

  it("still goes by the rest of the shared journal's answer: another instance's newer put pending for a cloud is not read past", async () => {
    const { targets, journalOf } = await world();
    const writer = storeOf(targets, await journalOf());
    const other = storeOf(targets, await journalOf());
    const reader = storeOf(targets, awayForSettling(await journalOf()));
    await writer.put('k', 'v1');
    // v2 is acknowledged by gcp and azure; aws, first in the read order, still holds v1.
    targets[0]!.down = 'unavailable';
    await other.put('k', 'v2');
    targets[0]!.down = undefined;
    const read = await deleteFailingAfterRead(writer, reader, targets);
    expect(read).toBe('v2');
    expect(await text(reader, 'k')).toBe('v2');
  });
});

/**
 * A journal over `shared` whose next `method` call (once `arm()` was called) is held after Redis
 * answered until an intent was withdrawn there; that withdrawal returns to its writer only once
 * the lookup's `look` (given to `arm`: the read or listing made meanwhile) has settled.
 */
function heldLookup(shared: Journal, method: 'pendingOf' | 'pending') {
  const fetched = signal();
  const release = signal();
  let armed = false;
  let answered: Promise<unknown> = Promise.resolve();
  /**
   * Redis's answer to the first lookup sent once armed, held until the withdrawal is done there
   * (a lookup sent before, such as the write's own, passes).
   */
  const hold = async <T>(answer: Promise<T>): Promise<T> => {
    const sentArmed = armed;
    const got = await answer;
    if (sentArmed && armed) {
      armed = false;
      fetched.resolve();
      await release.promise;
    }
    return got;
  };
  const journal = overriding(shared, {
    ...(method === 'pendingOf'
      ? { pendingOf: (key: string) => hold(shared.pendingOf!(key)) }
      : { pending: () => hold(shared.pending()) }),
    settleIntent: async (id, how) => {
      const done = await shared.settleIntent!(id, how);
      if (how === 'withdraw') {
        release.resolve();
        await answered.catch(() => {});
      }
      return done;
    },
  });
  return {
    journal,
    /** Holds the next lookup, made by `look` (started here); resolves once Redis answered it. */
    arm: <T>(look: () => Promise<T>): { result: Promise<T>; fetched: Promise<void> } => {
      armed = true;
      const result = look();
      answered = result;
      return { result, fetched: fetched.promise };
    },
  };
}

/**
 * `store` deletes `k`; every cloud's delete first starts `look` (once) with the store's next
 * shared lookup held (`held.arm`), waits until Redis answered that lookup (naming the delete's intent),
 * then fails: the delete reached no cloud, and withdraws its intent while the lookup is held.
 */
async function deleteWithdrawnUnderLookup<T>(
  store: MultiCloudStore,
  targets: ReturnType<typeof switchable>[],
  held: ReturnType<typeof heldLookup>,
  look: () => Promise<T>,
): Promise<T> {
  let started: { result: Promise<T>; fetched: Promise<void> } | undefined;
  const lookFirst = async () => {
    started ??= held.arm(look);
    await started.fetched;
    throw new StorageError('unavailable', 'the delete failed after the lookup was answered');
  };
  for (const t of targets) t.interpose = lookFirst;
  await expect(store.delete('k')).rejects.toThrow();
  return started!.result;
}

/**
 * A read or listing in the writer's own process, whose shared lookup was answered while the delete
 * was in flight (naming its intent), and which goes on only after the delete failed on every cloud
 * and withdrew its intent: it must not leave the key out by that answer (the write still counts as
 * in flight until its withdrawal returns). Fleet soak seed 72: the read said "not found", the
 * withdrawn delete left the object everywhere, and later reads found it again.
 */
describe("a read or listing racing its own process's delete that fails on every cloud", () => {
  const notFound = (err: unknown) =>
    err instanceof StorageError && err.kind === 'not_found' ? null : Promise.reject(err);

  it('a read does not answer "not found" by the intent the delete withdrew meanwhile', async () => {
    const { targets, journalOf } = await world();
    const held = heldLookup(await journalOf(), 'pendingOf');
    const store = storeOf(targets, held.journal);
    await store.put('k', 'v1');
    const read = await deleteWithdrawnUnderLookup(store, targets, held, () =>
      text(store, 'k').catch(notFound),
    );
    expect(read).toBe('v1');
    expect(await text(store, 'k')).toBe('v1');
    for (const t of targets) expect(Buffer.from(await getBytes(t.inner, 'k')).toString()).toBe('v1');
  });

  it('a listing does not leave the key out by the intent the delete withdrew meanwhile', async () => {
    const { targets, journalOf } = await world();
    const held = heldLookup(await journalOf(), 'pending');
    const store = storeOf(targets, held.journal);
    await store.put('k', 'v1');
    const keys = () => keysOf(store);
    expect(await deleteWithdrawnUnderLookup(store, targets, held, keys)).toEqual(['k']);
    expect(await keys()).toEqual(['k']);
  });
});
