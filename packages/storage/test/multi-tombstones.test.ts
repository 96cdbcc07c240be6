import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal, getText, type MultiCloudStore } from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openMultiStore, threeClouds } from './multi-fixtures.js';
import { copiesOf, type SwitchableStore } from './multi-helpers.js';

// An acknowledged delete that a cloud missed leaves tombstones on the clouds that took it, so a
// journal that lost its data (a Redis without persistence that restarted, a wiped directory)
// cannot undo it: without them, the reconcile after the reset took the copy the missing cloud
// still held for the newest version and copied it back everywhere.

const TOMBSTONES = '_failover/tombstones/';
const open: MultiCloudStore[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'failover-tombstones-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function openStore(targets: SwitchableStore[], at: string, automatic = true) {
  return openMultiStore(open, targets, {
    journal: createFileJournal({ dir: at, fsync: false }),
    amnesia: {},
    writerId: 'app',
    ...(automatic ? {} : { repair: { onRecovery: false } }),
  });
}

/** The tombstone objects each target holds. */
async function tombstonesOf(targets: SwitchableStore[]): Promise<number[]> {
  return Promise.all(
    targets.map(async (t) => {
      let n = 0;
      for await (const _ of t.inner.list({ prefix: TOMBSTONES })) n++;
      return n;
    }),
  );
}

/** k=v1 on every cloud, then k deleted while aws is down (gcp and azure took it). */
async function deleteMissedByAws(targets: SwitchableStore[]): Promise<MultiCloudStore> {
  const { store } = openStore(targets, dir);
  await store.put('k', 'v1');
  targets[0]!.down = 'unavailable';
  await store.delete('k');
  await store.close(); // waits for the tombstones
  open.splice(open.indexOf(store), 1);
  expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', undefined, undefined]);
  return store;
}

describe('tombstones of deletes a cloud missed', () => {
  it('a journal that lost its data: the reconcile after the reset completes the delete instead of copying the old version back', async () => {
    const targets = threeClouds();
    await deleteMissedByAws(targets);
    expect(await tombstonesOf(targets)).toEqual([0, 1, 1]);
    await rm(dir, { recursive: true, force: true }); // the journal is gone
    targets[0]!.down = undefined;

    const { store } = openStore(targets, join(dir, 'new'));
    await store.exists('other'); // opens the store: the reset is found, its reconcile runs
    await vi.waitFor(() => expect(store.status().counts.journalResets).toBe(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(store.status().journalReset).toBeUndefined(), { timeout: 10_000 });

    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual([undefined, undefined, undefined]);
    await expect(getText(store, 'k')).rejects.toMatchObject({ kind: 'not_found' });
    // The key is on no target any more: the tombstones are gone too.
    await store.close();
    open.splice(open.indexOf(store), 1);
    expect(await tombstonesOf(targets)).toEqual([0, 0, 0]);
  });

  it('a newer put of the key wins over its tombstone', async () => {
    const targets = threeClouds();
    await deleteMissedByAws(targets);
    targets[0]!.down = undefined;
    const { store } = openStore(targets, dir, false);
    await store.put('k', 'v2');
    await store.repair();
    await rm(dir, { recursive: true, force: true });
    const fresh = openStore(targets, join(dir, 'new'), false);
    await fresh.store.repair(); // the reset's reconcile
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    expect(await getText(fresh.store, 'k')).toBe('v2');
  });

  it('repair completing the delete removes the tombstones it left', async () => {
    const targets = threeClouds();
    const { store } = openStore(targets, dir, false);
    await store.put('k', 'v1');
    targets[0]!.down = 'unavailable';
    await store.delete('k');
    await vi.waitFor(async () => expect(await tombstonesOf(targets)).toEqual([0, 1, 1]));
    targets[0]!.down = undefined;
    store.recover('aws');
    expect((await store.repair()).repaired).toBe(1);
    await vi.waitFor(async () => expect(await tombstonesOf(targets)).toEqual([0, 0, 0]));
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual([undefined, undefined, undefined]);
  });

  it('a delete every cloud took leaves none', async () => {
    const targets = threeClouds();
    const { store } = openStore(targets, dir, false);
    await store.put('k', 'v1');
    await store.delete('k');
    await store.close();
    open.splice(open.indexOf(store), 1);
    expect(await tombstonesOf(targets)).toEqual([0, 0, 0]);
  });
});
