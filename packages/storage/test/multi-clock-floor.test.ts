import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileJournal,
  createMemoryJournal,
  getText,
  type Journal,
  JournalError,
  type MultiCloudStore,
} from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMultiStore, threeClouds } from './multi-fixtures.js';
import { copiesOf } from './multi-helpers.js';

// A restart with the wall clock stepped back (an NTP step, a VM restored from a snapshot, a move
// to a host with a wrong clock) must not stamp writes older than versions the clouds hold already.

const T = 1_700_000_000_000;
const HOUR = 3_600_000;

const open: MultiCloudStore[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'failover-clock-floor-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('the clock floor across restarts (file journal)', () => {
  it.each([
    ['as written', false],
    ['compacted before the restart', true],
  ])(
    'a write made after a restart with the clock an hour behind replaces the one before it (%s)',
    async (_, compact) => {
      const targets = threeClouds();
      const first = openMultiStore(open, targets, {
        journal: createFileJournal({ dir, fsync: false }),
        now: () => T,
        writerId: 'app',
        writes: 'mirror', // acknowledged once every cloud has it: nothing left pending
      });
      const v1 = await first.store.put('k', 'v1');
      expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v1', 'v1']);
      if (compact) {
        await first.journal.compact();
        expect(await first.journal.pending()).toEqual([]);
      }
      await first.store.close(); // closes its journal too
      open.splice(open.indexOf(first.store), 1);

      // Restarted with the clock an hour behind, azure down.
      const journal = createFileJournal({ dir, fsync: false });
      const second = openMultiStore(open, targets, { journal, now: () => T - HOUR, writerId: 'app' });
      targets[2]!.down = 'unavailable';
      const v2 = await second.store.put('k', 'v2'); // aws + gcp; azure journaled
      expect((await journal.pending()).map((e) => e.missing)).toEqual([['azure']]);

      targets[2]!.down = undefined;
      await second.store.repair();
      expect(journal.backlog()).toBe(0);
      expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
      expect(await getText(second.store, 'k')).toBe('v2');
      // Stamped after v1, although its wall clock was an hour behind.
      expect(v2.version! > v1.version!).toBe(true);
    },
  );
});

describe('the clock floor: other journals', () => {
  it('a journal without newestVersion: the newest of its pending entries is the floor', async () => {
    const { newestVersion: _, ...journal }: Journal = createMemoryJournal();
    const before = '001700000000000-000007-app';
    await journal.append({
      id: `${before}:other`,
      op: 'put',
      key: 'other',
      version: before,
      holders: ['aws'],
      missing: ['gcp'],
      at: T,
    });
    const { store } = openMultiStore(open, threeClouds(), { journal, now: () => T - HOUR, writerId: 'app' });
    const info = await store.put('k', 'v');
    expect(info.version! > before).toBe(true);
  });

  it("a journal whose newestVersion rejects fails the store's calls, as a failed open does", async () => {
    const failure = new JournalError('unavailable', 'the journal is away');
    const journal: Journal = { ...createMemoryJournal(), newestVersion: () => Promise.reject(failure) };
    const { store, targets } = openMultiStore(open, threeClouds(), { journal });
    await expect(store.put('k', 'v')).rejects.toBe(failure);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual([undefined, undefined, undefined]);
  });
});
