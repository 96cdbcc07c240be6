import { createMemoryJournal, createMultiCloudStore, getText, type MultiCloudStore } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { useMultiStores } from './multi-fixtures.js';
import { copiesOf, type SwitchableStore } from './multi-helpers.js';

// Repair and reconcile copy a version to a target after looking at what it holds. Whatever lands
// there between the look and the copy (a late request of the key, another writer's newer write)
// must never be replaced by an older version: the copy is conditional on what was seen
// (ifNoneMatch / ifMatch on its etag), and a refused copy looks again and decides again.

const { open, setup } = useMultiStores({ writes: 'mirror' });

/**
 * Another writer (its own process: own journal, own clock) over the same clouds, straight to them;
 * `gcp` first, so its reads see the newest version (`aws` is the one behind).
 */
function otherWriter(targets: readonly SwitchableStore[]): MultiCloudStore {
  const store = createMultiCloudStore({
    targets: [targets[1]!.inner, targets[2]!.inner, targets[0]!.inner],
    journal: createMemoryJournal(),
    writes: 'mirror',
    amnesia: false,
    repair: { intervalMs: false, delayMs: false, settleMs: 0 },
  });
  open.push(store);
  return store;
}

/** Every target holds `text` under one version, read straight from the clouds. */
async function expectEverywhere(
  targets: readonly SwitchableStore[],
  key: string,
  text: string,
): Promise<void> {
  const copies = await copiesOf(targets, key);
  expect(copies.map((c) => c?.text)).toEqual(targets.map(() => text));
  expect(new Set(copies.map((c) => c?.version)).size).toBe(1);
}

/** `aws` misses v2 of `key` (it was down): the store's journal owes it that copy. */
async function awsBehind(
  store: MultiCloudStore,
  targets: readonly SwitchableStore[],
  key: string,
  awsHoldsV1: boolean,
): Promise<void> {
  if (awsHoldsV1) await store.put(key, 'v1');
  targets[0]!.down = 'network';
  if (!awsHoldsV1) await store.put(key, 'v1');
  await store.put(key, 'v2');
  targets[0]!.down = undefined;
  expect(store.status().journal.backlog).toBeGreaterThan(0);
}

describe('repair: what lands on a target between its look and its copy is never replaced by older', () => {
  for (const awsHoldsV1 of [true, false]) {
    const held = awsHoldsV1 ? 'an older copy' : 'nothing';
    it(`another writer's newer version (the target held ${held}): it stays, a conflict, the journal settles`, async () => {
      const { store, targets } = setup();
      await awsBehind(store, targets, 'k', awsHoldsV1);
      const other = otherWriter(targets);
      // After repair looked at aws and fetched v2, before its copy reaches aws: v3 everywhere.
      targets[0]!.interpose = async () => {
        expect(await getText(other, 'k')).toBe('v2');
        await other.put('k', 'v3');
      };
      const report = await store.repair();
      expect(targets[0]!.interpose).toBeUndefined(); // it ran
      expect(report.failed).toEqual([]);
      expect(report.conflicts).toBe(1);
      expect(store.status().journal.backlog).toBe(0);
      await expectEverywhere(targets, 'k', 'v3');
      expect(await getText(store, 'k')).toBe('v3');
    });
  }

  it('a late request of the older version landing again: repair looks again and still copies the acknowledged one', async () => {
    const { store, targets } = setup();
    await awsBehind(store, targets, 'k', true);
    const v1 = await targets[0]!.inner.get('k');
    const v1Bytes = await getText(targets[0]!.inner, 'k');
    // The same v1 request lands on aws again: same version, a new etag.
    targets[0]!.interpose = () =>
      targets[0]!.inner.put('k', v1Bytes, {
        contentType: v1.info.contentType!,
        metadata: v1.info.metadata,
      });
    v1.body.destroy();
    const report = await store.repair();
    expect(targets[0]!.interpose).toBeUndefined();
    expect(report.failed).toEqual([]);
    expect(report.repaired).toBe(1);
    expect(store.status().journal.backlog).toBe(0);
    await expectEverywhere(targets, 'k', 'v2');
  });

  it('a target that keeps changing under every look: the pair stays pending (kind precondition), nothing older written', async () => {
    const { store, targets } = setup();
    await awsBehind(store, targets, 'k', true);
    const v1 = await targets[0]!.inner.head('k');
    const v1Bytes = await getText(targets[0]!.inner, 'k');
    let landed = 0;
    const again = async (): Promise<void> => {
      landed++;
      await targets[0]!.inner.put('k', v1Bytes, { metadata: v1!.metadata });
      targets[0]!.interpose = again;
    };
    targets[0]!.interpose = again;
    const report = await store.repair();
    targets[0]!.interpose = undefined;
    expect(landed).toBeGreaterThan(1);
    expect(report.failed.map((f) => [f.target, f.kind])).toEqual([['aws', 'precondition']]);
    expect(store.status().journal.backlog).toBe(1);
    // Once it stops changing, the next pass copies v2.
    await store.repair();
    expect(store.status().journal.backlog).toBe(0);
    await expectEverywhere(targets, 'k', 'v2');
  });
});

describe('reconcile: what lands on a target between its listing and its copy is never replaced by older', () => {
  for (const awsHoldsV1 of [true, false]) {
    const held = awsHoldsV1 ? 'an older copy' : 'nothing';
    it(`another writer's newer version (the target held ${held}): it stays, a conflict, nothing copied over it`, async () => {
      const { store, targets } = setup();
      await awsBehind(store, targets, 'k', awsHoldsV1);
      const other = otherWriter(targets);
      targets[0]!.interpose = async () => {
        expect(await getText(other, 'k')).toBe('v2');
        await other.put('k', 'v3');
      };
      const report = await store.reconcile();
      expect(targets[0]!.interpose).toBeUndefined();
      expect(report.errors).toEqual([]);
      expect(report.copied).toBe(0);
      expect(report.conflicts).toBe(1);
      // aws holds something newer than the journal's v2: the entry is settled.
      expect(store.status().journal.backlog).toBe(0);
      await expectEverywhere(targets, 'k', 'v3');
      expect(await getText(store, 'k')).toBe('v3');
    });
  }

  it('a late request of the older version landing again: reconcile looks again and copies the newest', async () => {
    const { store, targets } = setup();
    await awsBehind(store, targets, 'k', true);
    const v1 = await targets[0]!.inner.head('k');
    const v1Bytes = await getText(targets[0]!.inner, 'k');
    targets[0]!.interpose = () => targets[0]!.inner.put('k', v1Bytes, { metadata: v1!.metadata });
    const report = await store.reconcile();
    expect(targets[0]!.interpose).toBeUndefined();
    expect(report.errors).toEqual([]);
    expect(report.copied).toBe(1);
    expect(store.status().journal.backlog).toBe(0);
    await expectEverywhere(targets, 'k', 'v2');
  });
});

/**
 * `aws` still holds v1 of `key` and misses its delete (it was down): the store's journal owes it
 * the delete. Then a write of another key carries the store's clock past the delete's version into
 * `other`'s clock (a read observes it), so what `other` writes next is newer than the delete.
 */
async function awsMissesDelete(
  store: MultiCloudStore,
  targets: readonly SwitchableStore[],
  key: string,
  other?: MultiCloudStore,
): Promise<void> {
  await store.put(key, 'v1');
  targets[0]!.down = 'network';
  await store.delete(key);
  targets[0]!.down = undefined;
  expect(store.status().journal.backlog).toBeGreaterThan(0);
  if (other !== undefined) {
    await store.put('clock', 'after the delete');
    expect(await getText(other, 'clock')).toBe('after the delete');
  }
}

/** What each target holds of `key` (null: nothing), read straight from the clouds. */
async function textsOf(targets: readonly SwitchableStore[], key: string): Promise<(string | null)[]> {
  return (await copiesOf(targets, key)).map((c) => c?.text ?? null);
}

describe('repair: a delete never removes what lands on a target between its look and the delete', () => {
  it("another writer's newer version: it stays (a conflict), the tombstone settles", async () => {
    const { store, targets } = setup();
    const other = otherWriter(targets);
    await awsMissesDelete(store, targets, 'k', other);
    targets[0]!.interpose = () => other.put('k', 'v3');
    const report = await store.repair();
    expect(targets[0]!.interpose).toBeUndefined(); // it ran
    expect(report.failed).toEqual([]);
    expect(report.conflicts).toBe(1);
    expect(store.status().journal.backlog).toBe(0);
    await expectEverywhere(targets, 'k', 'v3');
  });

  it('a late request of the deleted version landing again: repair looks again and deletes it', async () => {
    const { store, targets } = setup();
    await awsMissesDelete(store, targets, 'k');
    const v1 = await targets[0]!.inner.head('k');
    // The same v1 request lands on aws again: same version, a new etag.
    targets[0]!.interpose = () => targets[0]!.inner.put('k', 'v1', { metadata: v1!.metadata });
    const report = await store.repair();
    expect(targets[0]!.interpose).toBeUndefined();
    expect(report.failed).toEqual([]);
    expect(report.repaired).toBe(1);
    expect(store.status().journal.backlog).toBe(0);
    expect(await textsOf(targets, 'k')).toEqual([null, null, null]);
  });

  it('a target that keeps changing under every look: the pair stays pending (kind precondition)', async () => {
    const { store, targets } = setup();
    await awsMissesDelete(store, targets, 'k');
    const v1 = await targets[0]!.inner.head('k');
    let landed = 0;
    const again = async (): Promise<void> => {
      landed++;
      await targets[0]!.inner.put('k', 'v1', { metadata: v1!.metadata });
      targets[0]!.interpose = again;
    };
    targets[0]!.interpose = again;
    const report = await store.repair();
    targets[0]!.interpose = undefined;
    expect(landed).toBeGreaterThan(1);
    expect(report.failed.map((f) => [f.target, f.op, f.kind])).toEqual([['aws', 'delete', 'precondition']]);
    expect(store.status().journal.backlog).toBe(1);
    await store.repair();
    expect(store.status().journal.backlog).toBe(0);
    expect(await textsOf(targets, 'k')).toEqual([null, null, null]);
  });
});

describe('reconcile: a delete never removes what lands on a target between its listing and the delete', () => {
  it("another writer's newer version: it stays (a conflict), nothing deleted", async () => {
    const { store, targets } = setup();
    const other = otherWriter(targets);
    await awsMissesDelete(store, targets, 'k', other);
    targets[0]!.interpose = () => other.put('k', 'v3');
    const report = await store.reconcile({ prefix: 'k' });
    expect(targets[0]!.interpose).toBeUndefined();
    expect(report.errors).toEqual([]);
    expect(report.deleted).toBe(0);
    expect(report.conflicts).toBe(1);
    expect(store.status().journal.backlog).toBe(0);
    await expectEverywhere(targets, 'k', 'v3');
  });

  it('a late request of the deleted version landing again: reconcile looks again and deletes it', async () => {
    const { store, targets } = setup();
    await awsMissesDelete(store, targets, 'k');
    const v1 = await targets[0]!.inner.head('k');
    targets[0]!.interpose = () => targets[0]!.inner.put('k', 'v1', { metadata: v1!.metadata });
    const report = await store.reconcile({ prefix: 'k' });
    expect(targets[0]!.interpose).toBeUndefined();
    expect(report.errors).toEqual([]);
    expect(report.deleted).toBe(1);
    expect(store.status().journal.backlog).toBe(0);
    expect(await textsOf(targets, 'k')).toEqual([null, null, null]);
  });
});

describe('ifNoneMatch: undoing the copies of a refused put deletes only those copies', () => {
  it("another writer's version written over a copy before the undo stays", async () => {
    const { store, targets } = setup();
    const other = otherWriter(targets);
    // The put passes the store's check (nothing anywhere), lands on aws and gcp, and azure refuses
    // it (someone wrote there meanwhile); before the undo reaches aws, another writer's v3 lands.
    targets[2]!.interpose = () => targets[2]!.inner.put('k', 'azure got one meanwhile');
    let undone = 0;
    const awsDelete = targets[0]!.delete.bind(targets[0]);
    targets[0]!.delete = async (key, options) => {
      undone++;
      await other.put('k', 'v3 from another writer');
      return awsDelete(key, options);
    };
    await expect(store.put('k', 'mine', { ifNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
    });
    expect(undone).toBe(1);
    expect(await textsOf(targets, 'k')).toEqual([
      'v3 from another writer',
      'v3 from another writer',
      'v3 from another writer',
    ]);
  });

  it("the refused put's intent (journaled before it was sent) is withdrawn with its copies", async () => {
    const { store, targets, journal } = setup();
    targets[2]!.interpose = () => targets[2]!.inner.put('k', 'azure got one meanwhile');
    await expect(store.put('k', 'mine', { ifNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
    });
    expect(await journal.pending()).toEqual([]);
    expect(store.status().journal.backlog).toBe(0);
    expect(await textsOf(targets, 'k')).toEqual([null, null, 'azure got one meanwhile']);
  });
});
