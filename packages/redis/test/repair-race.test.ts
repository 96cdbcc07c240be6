import { randomBytes } from 'node:crypto';
import {
  createMultiCloudStore,
  getBytes,
  type Journal,
  type MultiCloudStore,
  StorageError,
} from '@failover/storage';
import type { RedisLocalServer } from '@failover/testkit';
import { describe, expect, it, vi } from 'vitest';
import { type SwitchableStore, switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal } from '../src/index.js';
import {
  client,
  keysOf,
  later,
  overriding,
  redisServer,
  signal,
  storeOf,
  useCleanups,
} from './redis-helpers.js';

useCleanups();

/**
 * A user write on one instance racing another instance's repair of the same key, on one real
 * redis-server journal. The repair lease covers repairs only, and the per-key lock is per process:
 * nothing orders the two. The repairing instance has read the older version from a holder and is
 * about to copy it to the target that lacks it; the other instance's write lands everywhere in
 * between; then the copy lands. The copy must not stay there older than the write.
 */

interface Fleet {
  readonly aws: SwitchableStore;
  readonly gcs: SwitchableStore;
  readonly azure: SwitchableStore;
  /** Wrote the first version while Azure was down (its entry: "azure lacks v1"). */
  readonly writer: MultiCloudStore;
  /** Repairs it. */
  readonly repairer: MultiCloudStore;
  /** Writes the newer version during the repair. */
  readonly user: MultiCloudStore;
  /** The shared journal, to look at. */
  readonly journal: Journal;
}

async function fleet(
  options: { repairerTimeoutMs?: number; repairerJournal?: (journal: Journal) => Journal } = {},
): Promise<Fleet & { redis: RedisLocalServer }> {
  const redis = await redisServer();
  const prefix = `race:${randomBytes(6).toString('hex')}`;
  const aws = switchable('aws');
  const gcs = switchable('gcs');
  const azure = switchable('azure');
  const instance = async (timeoutMs?: number, wrap: (journal: Journal) => Journal = (j) => j) =>
    storeOf(
      [aws, gcs, azure],
      wrap(
        createRedisJournal({
          client: await client(redis.url),
          prefix,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        }),
      ),
    );
  const journal = createRedisJournal({ client: await client(redis.url), prefix });
  return {
    redis,
    aws,
    gcs,
    azure,
    writer: await instance(),
    repairer: await instance(options.repairerTimeoutMs, options.repairerJournal),
    user: await instance(),
    journal,
  };
}

/** v1 on AWS and GCS only, journaled as pending for Azure (by the writer). */
async function azureLacksV1(f: Fleet, key: string): Promise<void> {
  f.azure.down = 'unavailable';
  const put = await f.writer.put(key, 'v1');
  expect(put).toBeDefined();
  f.azure.down = undefined;
  expect(await f.azure.inner.head(key)).toBeNull();
}

/** Repairs on every instance until the fleet's backlog is empty (a few passes at most). */
async function settle(f: Fleet): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const a = await f.repairer.repair();
    const b = await f.user.repair();
    if (a.backlog === 0 && b.backlog === 0 && a.failed.length === 0 && b.failed.length === 0) return;
  }
}

/**
 * Three switchable clouds and a Redis journal, for instances made with their own
 * `repair.settleMs` (the window of a request that may still land): the late-landing races.
 */
async function lateFleet(): Promise<{
  readonly aws: SwitchableStore;
  readonly gcs: SwitchableStore;
  readonly azure: SwitchableStore;
  instance(settleMs: number, writerId?: string): Promise<MultiCloudStore>;
  /** The key's delete is still pending for `cloud`, and every store reads it deleted with `cloud` alone up. */
  expectDeleteStays(key: string, cloud: 'aws' | 'gcs' | 'azure', stores: MultiCloudStore[]): Promise<void>;
  /** Past every window (the clock moved on 61 s): `repairer` repairs until the key is settled. */
  afterWindow(key: string, repairer: MultiCloudStore): Promise<void>;
}> {
  const redis = await redisServer();
  const prefix = `race:${randomBytes(6).toString('hex')}`;
  const clouds = { aws: switchable('aws'), gcs: switchable('gcs'), azure: switchable('azure') };
  const journal = createRedisJournal({ client: await client(redis.url), prefix });
  return {
    ...clouds,
    instance: async (settleMs, writerId) => {
      const store = createMultiCloudStore({
        ...(writerId === undefined ? {} : { writerId }),
        targets: [clouds.aws, clouds.gcs, clouds.azure],
        journal: createRedisJournal({ client: await client(redis.url), prefix }),
        failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
        amnesia: false,
        repair: { intervalMs: false, delayMs: false, settleMs, onRecovery: false },
      });
      later(() => store.close());
      return store;
    },
    expectDeleteStays: async (key, cloud, stores) => {
      const pending = (await journal.pending()).filter((e) => e.key === key && e.op === 'delete');
      expect(pending.some((e) => e.missing.includes(cloud))).toBe(true);
      const others = Object.values(clouds).filter((c) => c.name !== cloud);
      for (const c of others) c.down = 'unavailable';
      try {
        for (const s of stores) expect(await s.head(key)).toBeNull();
        expect(await keysOf(stores[0]!)).toEqual([]);
      } finally {
        for (const c of others) c.down = undefined;
      }
    },
    afterWindow: async (key, repairer) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 61_000);
        for (let i = 0; i < 3 && (await journal.pending()).some((e) => e.key === key); i++) {
          await repairer.repair();
        }
      } finally {
        vi.useRealTimers();
      }
    },
  };
}

/** No cloud holds `key`. */
async function expectGone(f: Pick<Fleet, 'aws' | 'gcs' | 'azure'>, key: string): Promise<void> {
  expect({
    aws: await f.aws.inner.head(key),
    gcs: await f.gcs.inner.head(key),
    azure: await f.azure.inner.head(key),
  }).toEqual({ aws: null, gcs: null, azure: null });
}

/**
 * Interposers that hold a call until `release()`, then refuse it (`unavailable`): a request that
 * was on its way and reached no cloud.
 */
function heldRefusal(): { release: () => void; refuseLater: (s: SwitchableStore) => () => Promise<never> } {
  const held = signal();
  const refuseLater = (s: SwitchableStore) => async (): Promise<never> => {
    await held.promise;
    throw new StorageError('unavailable', `${s.name} refused the delete`, { target: s.name });
  };
  return { release: held.resolve, refuseLater };
}

/**
 * A journal whose look at a key's high-water mark, once `arm()` was called, waits for `release()`
 * (`reached` resolves when it starts waiting): the repair's check right after its copy landed.
 */
function holdingMarks(): {
  wrap: (journal: Journal) => Journal;
  arm: () => void;
  reached: Promise<void>;
  release: () => void;
} {
  let armed = false;
  const reached = signal();
  const released = signal();
  const wrap = (journal: Journal): Journal =>
    overriding(journal, {
      highWater: async (key) => {
        if (armed) {
          reached.resolve();
          await released.promise;
        }
        return journal.highWater!(key);
      },
    });
  return { wrap, arm: () => (armed = true), reached: reached.promise, release: released.resolve };
}

describe('fleet: a user write on one instance racing another instance repair of the same key', () => {
  // Soak seed 310 (issue 11), across instances: a repair copy that timed out still travels, and
  // can land after another instance deleted the key (the empty target takes it: its
  // `ifNoneMatch: '*'` holds again). The repairer keeps its lease on the key until its window has
  // passed, so the delete is recorded for every cloud and nothing is settled before then.
  it('a repair copy that timed out and lands after another instance deleted the key: never read, and deleted once its window passed', async () => {
    const f = await lateFleet();
    const writer = await f.instance(0);
    const repairer = await f.instance(60_000);
    const user = await f.instance(0);
    const key = 'receipts/late-copy.bin';
    f.azure.down = 'unavailable';
    await writer.put(key, 'v1');
    f.azure.down = undefined;
    f.azure.late = true; // the repair's copy to Azure "times out", and lands when the test says
    await repairer.repair();
    f.azure.late = false;
    await user.delete(key); // every cloud took it (on Azure it deleted nothing)
    expect(await f.azure.landLate()).toBe(1);
    expect(Buffer.from(await getBytes(f.azure.inner, key)).toString()).toBe('v1');
    // The delete is recorded for every cloud: no instance reads or lists the copy that came back,
    // also with Azure alone answering, and no repair settles it before the window has passed.
    await user.repair();
    await writer.repair();
    await f.expectDeleteStays(key, 'azure', [user, writer, repairer]);
    // After the window, the repairer looks at Azure again and deletes the late copy.
    await f.afterWindow(key, repairer);
    await expectGone(f, key);
    for (const s of [writer, repairer, user]) expect(await s.head(key)).toBeNull();
  });

  // The same with the write's own request: instance A's put timed out on AWS (it still travels)
  // and was acknowledged by the others; instance B deletes the key; A's put lands on AWS after
  // the delete. B's delete inherits A's window (its entry's `notBefore`): it stays missing on
  // AWS until repair has looked again after the window.
  for (const writerId of [undefined, 'api'] as const) {
    it(`a put's request that timed out and lands after another instance deleted the key: never read, and deleted once its window passed (${writerId === undefined ? 'own writer ids' : 'both given the same writerId'})`, async () => {
      const f = await lateFleet();
      // Two instances given one writer id (a configuration mistake): B must still not take A's
      // entry for its own, or its delete would inherit no window from it.
      const a = await f.instance(60_000, writerId);
      const b = await f.instance(60_000, writerId);
      const key = 'receipts/late-put.bin';
      f.aws.late = true;
      await a.put(key, 'v1'); // GCS and Azure; AWS's request is still on its way
      f.aws.late = false;
      await b.delete(key); // every cloud answers (AWS held nothing)
      expect(await f.aws.landLate()).toBe(1);
      expect(Buffer.from(await getBytes(f.aws.inner, key)).toString()).toBe('v1');
      await b.repair();
      await a.repair();
      await f.expectDeleteStays(key, 'aws', [a, b]);
      await f.afterWindow(key, b);
      await expectGone(f, key);
      for (const s of [a, b]) expect(await s.head(key)).toBeNull();
    });
  }

  it("a delete recorded while another instance's repair holds the key: its copy landing after the delete is never read or listed, also before that repair's own check", async () => {
    const marks = holdingMarks();
    const f = await fleet({ repairerJournal: marks.wrap });
    const key = 'receipts/race-window.bin';
    await azureLacksV1(f, key);
    // The repair has read v1 from AWS; the user's delete lands everywhere (on Azure it deletes
    // nothing), then the copy lands on Azure and the repair's check after it is held.
    f.azure.interpose = async () => {
      await f.user.delete(key);
      marks.arm();
    };
    const repairing = f.repairer.repair();
    try {
      await marks.reached;
      expect(Buffer.from(await getBytes(f.azure.inner, key)).toString()).toBe('v1');
      // The user's instance records that every cloud took its delete (with its next append).
      await f.user.put('receipts/other.bin', 'x');
      // Azure alone answers: the deleting instance neither reads nor lists the copy that came back.
      f.aws.down = 'unavailable';
      f.gcs.down = 'unavailable';
      expect(await f.user.head(key)).toBeNull();
      expect(await keysOf(f.user)).toEqual(['receipts/other.bin']);
    } finally {
      f.aws.down = undefined;
      f.gcs.down = undefined;
      marks.release();
    }
    await repairing;
    await settle(f);
    await expectGone(f, key);
    for (const s of [f.writer, f.repairer, f.user]) expect(await s.head(key)).toBeNull();
  });

  it('a delete that lands between the repair reading v1 and its copy to the empty target: v1 does not come back there', async () => {
    const f = await fleet();
    const key = 'receipts/race-delete.bin';
    await azureLacksV1(f, key);
    let deleted = false;
    // The repair has looked at Azure (nothing there) and read v1 from AWS; before its copy is sent,
    // the user deletes the key on another instance (on Azure it deletes nothing: Azure is empty).
    f.azure.interpose = async () => {
      await f.user.delete(key);
      deleted = true;
    };
    await f.repairer.repair();
    expect(deleted).toBe(true);
    // Azure holds v1 again now, and the journal says it lacks the newer delete: the repair's own
    // check after its copy, and the user's delete, recorded again for every cloud because the
    // repairer held the key's lease when the delete was recorded.
    expect(await f.azure.inner.head(key)).not.toBeNull();
    const pending = (await f.journal.pending()).filter((e) => e.key === key);
    expect(pending).toContainEqual(
      expect.objectContaining({
        op: 'delete',
        missing: ['azure'],
        id: expect.stringMatching(/^behind:azure:/),
      }),
    );
    expect(pending).toContainEqual(
      expect.objectContaining({
        op: 'delete',
        missing: ['aws', 'gcs', 'azure'],
        id: expect.not.stringMatching(/^behind:/),
      }),
    );
    await settle(f);
    await expectGone(f, key);
    // Every instance reads it as deleted, the writer too: its own index still named v1 as pending
    // for Azure, which the shared journal no longer does (another instance settled it).
    for (const s of [f.repairer, f.user, f.writer]) expect(await s.head(key)).toBeNull();
  });

  it('a put of v2 that lands everywhere between the repair reading v1 and its copy: Azure ends with v2', async () => {
    const f = await fleet();
    const key = 'receipts/race-put.bin';
    await azureLacksV1(f, key);
    f.azure.interpose = async () => {
      await f.user.put(key, 'v2');
    };
    await f.repairer.repair();
    await settle(f);
    for (const s of [f.aws, f.gcs, f.azure])
      expect(Buffer.from(await getBytes(s.inner, key)).toString()).toBe('v2');
    for (const s of [f.writer, f.repairer, f.user])
      expect(Buffer.from(await getBytes(s, key)).toString()).toBe('v2');
  });

  it('a delete still on its way when the copy lands, then withdrawn (it reached no cloud): the copy stays', async () => {
    const f = await fleet();
    const key = 'receipts/race-withdrawn.bin';
    await azureLacksV1(f, key);
    // Each cloud holds the user's delete until released, then refuses it: it reaches no cloud.
    const { release, refuseLater } = heldRefusal();
    let deleting: Promise<unknown> | undefined;
    // The repair read v1 and is about to copy it to Azure: the user's delete starts (its intent
    // journaled) and is still on its way when the copy lands and repair checks the key's mark.
    f.azure.interpose = async () => {
      f.aws.interpose = refuseLater(f.aws);
      f.gcs.interpose = refuseLater(f.gcs);
      f.azure.interpose = refuseLater(f.azure);
      deleting = f.user.delete(key).then(
        () => 'deleted',
        (err: unknown) => err,
      );
      await vi.waitFor(async () => {
        const pending = await f.journal.pending();
        expect(pending.some((e) => e.key === key && e.op === 'delete' && e.intent === true)).toBe(true);
      });
    };
    await f.repairer.repair();
    // The copy landed while the delete was pending: Azure is journaled as lacking the delete.
    expect(await f.azure.inner.head(key)).not.toBeNull();
    expect(await f.journal.pending()).toContainEqual(
      expect.objectContaining({ op: 'delete', intent: true, id: expect.stringMatching(/^behind:azure:/) }),
    );
    release();
    expect(await deleting).toBeInstanceOf(Error); // every cloud refused it

    // The delete reached no cloud and its intent was withdrawn: v1 is the key's live version, and
    // repair must not delete Azure's copy of it.
    await settle(f);
    const text = async (s: SwitchableStore) => Buffer.from(await getBytes(s.inner, key)).toString();
    expect([await text(f.aws), await text(f.gcs), await text(f.azure)]).toEqual(['v1', 'v1', 'v1']);
    expect((await f.journal.pending()).filter((e) => e.key === key)).toEqual([]);
    for (const s of [f.writer, f.repairer, f.user])
      expect(Buffer.from(await getBytes(s, key)).toString()).toBe('v1');
  });

  it("reconcile's copy to the empty target racing a delete on another instance: v1 does not come back there", async () => {
    const f = await fleet();
    const key = 'receipts/race-reconcile.bin';
    await azureLacksV1(f, key);
    // Reconcile compares the clouds and copies v1 to Azure; the delete lands everywhere between its
    // look and its copy.
    f.azure.interpose = async () => {
      await f.user.delete(key);
    };
    await f.repairer.reconcile();
    await f.user.put('receipts/other.bin', 'x');
    // Azure holds v1 again now, and the journal says it lacks the newer delete.
    expect(await f.azure.inner.head(key)).not.toBeNull();
    expect(await f.journal.pending()).toContainEqual(
      expect.objectContaining({
        op: 'delete',
        missing: ['azure'],
        id: expect.stringMatching(/^behind:azure:/),
      }),
    );
    await settle(f);
    await expectGone(f, key);
  });

  it.each([
    ['taken back', false],
    ['remembered (Azure fails too)', true],
  ] as const)(
    'Redis unreachable (SIGSTOP) as the copy lands: it is %s, checked once Redis answers; the delete wins',
    async (_label, azureFails) => {
      const f = await fleet({ repairerTimeoutMs: 200 });
      const key = 'receipts/race-outage.bin';
      await azureLacksV1(f, key);
      // The delete lands everywhere (on Azure it deletes nothing) and its records settle, which
      // supersedes the writer's entry for Azure in the journal; then Redis stops answering (and,
      // in the second case, Azure fails from now on). The copy of v1 lands on Azure; the check of
      // the key's mark after it cannot be made.
      f.azure.interpose = async () => {
        await f.user.delete(key);
        // The repairer holds the key's lease: the delete is recorded again for every cloud.
        expect((await f.journal.pending()).filter((e) => e.key === key)).toEqual([
          expect.objectContaining({ op: 'delete', missing: ['aws', 'gcs', 'azure'] }),
        ]);
        await f.redis.pause();
        if (azureFails) f.azure.down = 'unavailable';
      };
      later(() => f.redis.resume());
      const report = await f.repairer.repair();
      expect(report.failed).toContainEqual(expect.objectContaining({ key, target: 'azure', op: 'put' }));
      // Taken back at once (a delete conditional on the copy's etag), or still there when Azure failed.
      expect((await f.azure.inner.head(key)) === null).toBe(!azureFails);
      f.redis.resume();
      f.azure.down = undefined;
      // The journal names only the user's delete (for every cloud): the repairer's memory knows of
      // the copy, and repair of the delete deletes it too.
      expect((await f.journal.pending()).filter((e) => e.key === key)).toEqual([
        expect.objectContaining({ op: 'delete', missing: ['aws', 'gcs', 'azure'] }),
      ]);
      await settle(f);
      const where = async () => ({
        aws: await f.aws.inner.head(key),
        gcs: await f.gcs.inner.head(key),
        azure: await f.azure.inner.head(key),
      });
      expect(await where()).toEqual({ aws: null, gcs: null, azure: null });
      for (const s of [f.writer, f.repairer, f.user]) expect(await s.head(key)).toBeNull();
      // Nothing left for reconcile to spread back.
      await f.repairer.reconcile();
      expect(await where()).toEqual({ aws: null, gcs: null, azure: null });
      expect((await f.journal.pending()).filter((e) => e.key === key)).toEqual([]);
    },
  );

  it("a delete withdrawn (it reached no cloud) just as another instance's repair deletes a copy on its behalf: all clouds agree", async () => {
    const f = await fleet();
    const key = 'receipts/race-withdraw-late.bin';
    await f.writer.put(key, 'v1'); // on every cloud
    // Each cloud holds the user's delete until released, then refuses it: it reaches no cloud.
    const { release, refuseLater } = heldRefusal();
    f.aws.interpose = refuseLater(f.aws);
    f.gcs.interpose = refuseLater(f.gcs);
    f.azure.interpose = refuseLater(f.azure);
    const deleting = f.user.delete(key).then(
      () => 'deleted',
      (err: unknown) => err,
    );
    // Its intent is journaled and its requests have reached every cloud (held there).
    await vi.waitFor(() => {
      expect([f.aws.interpose, f.gcs.interpose, f.azure.interpose]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
    });
    // Another instance's repair completes that pending intent on AWS (the other clouds' pairs are
    // left for later); just before its delete reaches AWS, every cloud refuses the user's delete and
    // the user's instance withdraws its intent.
    f.aws.interpose = async () => {
      release();
      await deleting;
    };
    await f.repairer.repair({ targets: ['aws'] });
    expect(await deleting).toBeInstanceOf(Error); // the delete failed for its caller
    await settle(f);
    // Either the delete took effect on every cloud or on none: never v1 on some clouds with
    // nothing pending. Here repair confirmed the intent before acting on it, so its writer could
    // not withdraw it any more: a failed delete may still take effect, and then it does everywhere.
    const where = async () => ({
      aws: (await f.aws.inner.head(key)) !== null,
      gcs: (await f.gcs.inner.head(key)) !== null,
      azure: (await f.azure.inner.head(key)) !== null,
    });
    expect(await where()).toEqual({ aws: false, gcs: false, azure: false });
    expect((await f.journal.pending()).filter((e) => e.key === key)).toEqual([]);
    for (const s of [f.writer, f.repairer, f.user]) expect(await s.head(key)).toBeNull();
    // Nothing left for reconcile to bring back.
    await f.repairer.reconcile();
    expect(await where()).toEqual({ aws: false, gcs: false, azure: false });
  });
});
