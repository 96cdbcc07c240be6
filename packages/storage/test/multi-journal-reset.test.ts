import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal, createMemoryJournal, getText, type MultiCloudStore } from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openMultiStore, threeClouds } from './multi-fixtures.js';
import { copiesOf, endsOrHangs, type SwitchableStore, wipe } from './multi-helpers.js';

// A journal that lost its data (a wiped directory, a container without a volume for it, a Redis
// without persistence that restarted) forgets which clouds lack which writes: a store that opens
// over the same clouds with a journal of another id reconciles them by itself.

const open: MultiCloudStore[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'failover-journal-reset-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

/** Opens a store over `targets` with a file journal in `at` and epoch markers on. */
function openStore(targets: SwitchableStore[], at: string, amnesia: { journal?: boolean } = {}) {
  return openMultiStore(open, targets, {
    journal: createFileJournal({ dir: at, fsync: false }),
    amnesia,
    writerId: 'app',
  });
}

/** k=v1 on every cloud, then k=v2 while aws (the first cloud, asked first by reads) is down. */
async function lagBehind(targets: SwitchableStore[]): Promise<MultiCloudStore> {
  const first = openStore(targets, dir);
  await first.store.put('k', 'v1');
  expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v1', 'v1']);
  targets[0]!.down = 'unavailable';
  await first.store.put('k', 'v2'); // gcp + azure: the quorum; aws journaled as missing
  expect((await first.journal.pending()).map((e) => e.missing)).toEqual([['aws']]);
  expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v2', 'v2']);
  await first.store.close();
  open.splice(open.indexOf(first.store), 1);
  return first.store;
}

/** Listings made so far on every target (a reconcile lists each one). */
const listings = (targets: SwitchableStore[]) => targets.map((t) => t.calls.list ?? 0);

/**
 * aws lags behind (k=v1 there, v2 on the others), then the journal's directory is lost: a store
 * that does not repair by itself opens over the same clouds with a new, empty journal.
 */
async function resetWithoutAutomaticRepair() {
  const targets = threeClouds();
  await lagBehind(targets);
  await rm(dir, { recursive: true, force: true });
  targets[0]!.down = undefined;
  const { store } = openMultiStore(open, targets, {
    journal: createFileJournal({ dir: join(dir, 'new'), fsync: false }),
    amnesia: {},
    writerId: 'app',
    repair: { onRecovery: false },
  });
  return { targets, store };
}

describe('a journal that lost its data', () => {
  it('is noticed when the store opens: journalReset, a reconcile by itself, and then every cloud and read has v2', async () => {
    const targets = threeClouds();
    await lagBehind(targets);
    // The journal's directory is gone (a container restarted without a volume for it).
    await rm(dir, { recursive: true, force: true });
    targets[0]!.down = undefined;

    const fresh = join(dir, 'new');
    const { store, journal } = openStore(targets, fresh);
    const resets: { previous: string; current: string }[] = [];
    store.on('journalReset', (e) => resets.push(e));
    await store.exists('other'); // opens the store (the markers are read in the background)
    await vi.waitFor(() => expect(resets).toHaveLength(1), { timeout: 10_000 });
    expect(resets[0]!.current).toBe(await journal.journalId?.());
    expect(resets[0]!.previous).not.toBe(resets[0]!.current);
    expect(store.status().counts.journalResets).toBe(1);
    // The reconcile runs in the background; the reset is settled once it finished.
    await vi.waitFor(() => expect(store.status().journalReset).toBeUndefined(), { timeout: 10_000 });

    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    // aws, the formerly lagging cloud, is asked first; it answers v2 now.
    expect(await getText(store, 'k')).toBe('v2');
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    expect(await getText(store, 'k')).toBe('v2');
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;

    // The markers carry the new journal's id now: the next start with it finds no reset.
    await store.close();
    open.splice(open.indexOf(store), 1);
    const again = openStore(targets, fresh);
    const later: unknown[] = [];
    again.store.on('journalReset', (e) => later.push(e));
    const before = listings(targets);
    await again.store.exists('other');
    await again.store.close(); // waits for the markers' reads
    expect(later).toEqual([]);
    expect(listings(targets)).toEqual(before);
  });

  it('a reopen of the same journal directory reports nothing and reconciles nothing', async () => {
    const targets = threeClouds();
    await lagBehind(targets);
    targets[0]!.down = undefined;
    const { store, journal } = openStore(targets, dir);
    const resets: unknown[] = [];
    store.on('journalReset', (e) => resets.push(e));
    const before = listings(targets);
    await store.exists('other');
    await store.close(); // waits for the markers' reads and anything they started
    open.splice(open.indexOf(store), 1);
    expect(resets).toEqual([]);
    expect(store.status().counts.journalResets).toBe(0);
    expect(listings(targets)).toEqual(before);
    // The journal still knows aws lags: repair (not a reconcile) brings it v2.
    const again = openStore(targets, dir);
    expect(again.journal.backlog()).toBe(0); // not opened yet
    await again.store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    expect(journal).not.toBe(again.journal);
  });

  it('with automatic repair off (a tool, the CLI), a reset is reported and its reconcile waits for repair()', async () => {
    const { targets, store } = await resetWithoutAutomaticRepair();
    const resets: unknown[] = [];
    store.on('journalReset', (e) => resets.push(e));
    const before = listings(targets);
    await store.exists('other');
    await vi.waitFor(() => expect(resets).toHaveLength(1), { timeout: 10_000 });
    expect(store.status().journalReset).toMatchObject({ reconciling: false });
    // Nothing listed, nothing copied: a store told not to repair by itself writes nothing.
    expect(listings(targets)).toEqual(before);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v2', 'v2']);
    // An explicit repair runs the reconcile the reset needs, within the call: a batch job that
    // closes the store right after it leaves the new id confirmed.
    await store.repair();
    await store.close();
    expect(store.status().journalReset).toBeUndefined();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    // The next run finds no reset: every cloud's marker carries the new journal's id.
    const next = openMultiStore(open, targets, {
      journal: createFileJournal({ dir: join(dir, 'new'), fsync: false }),
      amnesia: {},
      writerId: 'app',
      repair: { onRecovery: false },
    });
    const later: unknown[] = [];
    next.store.on('journalReset', (e) => later.push(e));
    await next.store.exists('other');
    await next.store.repair();
    expect(later).toEqual([]);
    expect(next.store.status().journalReset).toBeUndefined();
  });

  it("the signal of a repair() stops the reset's reconcile it runs (automatic repair off)", async () => {
    const { targets, store } = await resetWithoutAutomaticRepair();
    const resets: unknown[] = [];
    const errors: unknown[] = [];
    store.on('journalReset', (e) => resets.push(e));
    store.on('error', (e) => errors.push(e));
    await store.exists('other');
    await vi.waitFor(() => expect(resets).toHaveLength(1), { timeout: 10_000 });
    targets[2]!.stalled = true; // the reconcile's listing of azure stops answering
    const listed = listings(targets)[2]!;
    const ac = new AbortController();
    const pass = store.repair({ signal: ac.signal });
    await vi.waitFor(() => expect(listings(targets)[2]).toBeGreaterThan(listed), { timeout: 5000 });
    ac.abort();
    // Without the signal reaching it, the reconcile (and so the repair()) would wait for ever.
    expect(await endsOrHangs(pass)).not.toBe('still running');
    expect(errors).toEqual([]); // stopped by its caller: not a failure
    expect(store.status().journalReset).toMatchObject({ reconciling: false });
    targets[2]!.stalled = false;
    await store.repair();
    expect(store.status().journalReset).toBeUndefined();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });

  it('amnesia.journal: false turns the check off', async () => {
    const targets = threeClouds();
    await lagBehind(targets);
    await rm(dir, { recursive: true, force: true });
    targets[0]!.down = undefined;
    const { store } = openStore(targets, join(dir, 'new'), { journal: false });
    const resets: unknown[] = [];
    store.on('journalReset', (e) => resets.push(e));
    const before = listings(targets);
    await store.exists('other');
    // The hole the check closes: aws, asked first, still holds v1 and nothing says it lags.
    expect(await getText(store, 'k')).toBe('v1');
    await store.close();
    open.splice(open.indexOf(store), 1);
    expect(resets).toEqual([]);
    expect(listings(targets)).toEqual(before);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v2', 'v2']);
  });

  it('a journal without journalId (the memory journal) is not checked, and keeps the markers’ id', async () => {
    const targets = threeClouds();
    await lagBehind(targets);
    targets[0]!.down = undefined;
    const memory = openMultiStore(open, targets, { journal: createMemoryJournal(), amnesia: {} });
    const resets: unknown[] = [];
    memory.store.on('journalReset', (e) => resets.push(e));
    await memory.store.exists('other');
    await memory.store.close();
    open.splice(open.indexOf(memory.store), 1);
    expect(resets).toEqual([]);
    // The file journal's id is still on the markers: its own reopen finds no reset.
    const again = openStore(targets, dir);
    again.store.on('journalReset', (e) => resets.push(e));
    await again.store.exists('other');
    await again.store.close();
    expect(resets).toEqual([]);
  });

  it('the new id reaches the markers only once a reconcile finished cleanly: one that skipped a cloud is retried at the next repair pass', async () => {
    const targets = threeClouds();
    await lagBehind(targets);
    await rm(dir, { recursive: true, force: true });
    targets[0]!.down = undefined;
    targets[1]!.down = 'unavailable'; // gcp cannot be listed: the reconcile is not complete
    const { store, journal } = openStore(targets, join(dir, 'new'));
    const resets: unknown[] = [];
    store.on('journalReset', (e) => resets.push(e));
    await store.exists('other');
    await vi.waitFor(() => expect(store.status().journalReset).toMatchObject({ reconciling: false }), {
      timeout: 10_000,
    });
    const previous = store.status().journalReset!.previous;
    const markerIds = async () =>
      Promise.all(targets.map(async (t) => (await t.inner.head('_failover/epoch'))?.metadata.fo_journal));
    expect(await markerIds()).toEqual([previous, previous, previous]);
    // A crash now would find the reset again at the next start. gcp is back: the next pass retries.
    targets[1]!.down = undefined;
    await store.repair();
    await vi.waitFor(() => expect(store.status().journalReset).toBeUndefined(), { timeout: 10_000 });
    const current = await journal.journalId?.();
    expect(await markerIds()).toEqual([current, current, current]);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    expect(resets).toHaveLength(1);
  });

  it('two stores with different journals over the same clouds (unsupported) report it at their starts, never in a loop', async () => {
    const targets = threeClouds();
    const a = openStore(targets, join(dir, 'a'));
    await a.store.put('k', 'v1');
    const resets = { a: 0, b: 0 };
    a.store.on('journalReset', () => resets.a++);
    const b = openStore(targets, join(dir, 'b'));
    b.store.on('journalReset', () => resets.b++);
    await b.store.exists('other');
    await vi.waitFor(() => expect(resets.b).toBe(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(b.store.status().journalReset).toBeUndefined(), { timeout: 10_000 });
    // Running on: repair passes compare each journal with itself, not with the markers.
    const before = listings(targets);
    for (let i = 0; i < 3; i++) {
      await a.store.repair();
      await b.store.repair();
    }
    expect(resets).toEqual({ a: 0, b: 1 });
    expect(listings(targets)).toEqual(before); // no reconcile ran meanwhile
    expect(a.store.status().journalReset).toBeUndefined();
  });

  it.each([
    ['another id: a reset', 'other', 1],
    ['the markers’ id: nothing', 'markers', 0],
  ] as const)(
    'an id known only after the store opened (a fallback journal’s primary away) is judged then: %s',
    async (_, later, expected) => {
      const targets = threeClouds();
      await lagBehind(targets);
      targets[0]!.down = undefined;
      const markers = (await targets[1]!.inner.head('_failover/epoch'))?.metadata.fo_journal;
      expect(markers).toBeDefined();
      let id: string | undefined;
      const journal = { ...createMemoryJournal(), journalId: async () => id };
      const { store } = openMultiStore(open, targets, { journal, amnesia: {} });
      const resets: unknown[] = [];
      store.on('journalReset', (e) => resets.push(e));
      await store.exists('other');
      await store.repair(); // the id is not known yet: nothing judged
      expect(resets).toEqual([]);
      id = later === 'other' ? 'J2' : markers;
      await store.repair();
      expect(resets).toHaveLength(expected);
      await vi.waitFor(() => expect(store.status().journalReset).toBeUndefined(), { timeout: 10_000 });
      if (expected === 1)
        expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    },
  );
});

// A marker rewritten (to carry the journal's id) by a request that times out can still land later.
// Landing after the cloud lost its data, an unconditional rewrite put the marker back on a cloud
// without its data, and its loss went unseen: rewrites now go over the marker just read (If-Match).
describe('markers given the journal id', () => {
  it('a rewrite that lands after the cloud lost its data does not put the marker back', async () => {
    const targets = threeClouds();
    // Markers without the journal's id (as an older store wrote them).
    const first = openStore(targets, dir, { journal: false });
    for (let i = 0; i < 5; i++) await first.store.put(`k${i}`, `v${i}`);
    await first.store.repair();
    await first.store.close();
    open.splice(open.indexOf(first.store), 1);
    expect((await targets[0]!.inner.head('_failover/epoch'))?.metadata.fo_journal).toBeUndefined();
    const putsBefore = targets[0]!.calls.put ?? 0;
    targets[0]!.late = true; // aws's next puts time out and land later
    const { store } = openMultiStore(open, targets, {
      journal: createFileJournal({ dir, fsync: false }),
      amnesia: { recheckMs: 0 },
      writerId: 'app',
    });
    const events: unknown[] = [];
    store.on('amnesia', (e) => events.push([e.target, e.reconciled]));
    expect(await getText(store, 'k1')).toBe('v1'); // opens it: the markers get the journal's id
    await vi.waitFor(() => expect(targets[0]!.calls.put ?? 0).toBeGreaterThan(putsBefore));
    targets[0]!.late = false;
    await wipe(targets[0]!); // aws lost everything, its marker too
    await targets[0]!.landLate().catch(() => undefined);
    expect(await targets[0]!.inner.head('_failover/epoch')).toBeNull();
    expect(await getText(store, 'k3')).toBe('v3');
    expect(events[0]).toEqual(['aws', false]);
  });
});
