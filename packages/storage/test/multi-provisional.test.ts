import { AllTargetsFailedError } from '@failover/core';
import {
  createMemoryJournal,
  getText,
  type Journal,
  type JournalEntry,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  StorageError,
} from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { survivingJournal, threeClouds, useMultiStores } from './multi-fixtures.js';
import { copiesOf, gatedJournal, type SwitchableStore } from './multi-helpers.js';

// 'primary' puts record the write beside the upload (a provisional journal entry), so a put waits
// for the later of the two, not their sum. These tests stop the writer between the two steps (a
// crash: a new store opened on what the journal had made durable, over the same clouds) and check
// that nothing older than an acknowledged version is ever served or repaired onto a cloud.

const { setup } = useMultiStores();

const SETTLE_MS = 10_000;

function primary(
  journal: Journal,
  targets: SwitchableStore[],
  options: Partial<MultiCloudStoreOptions> = {},
) {
  return setup(
    {
      writes: 'primary',
      journal,
      ...options,
      repair: { settleMs: SETTLE_MS, ...options.repair },
    },
    targets,
  ).store;
}

/** Holds the next put that reaches `target` until `release()` (then it lands). */
function holdNextPut(target: SwitchableStore): { release: () => void; reached: Promise<void> } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const reachedP = new Promise<void>((r) => {
    reached = r;
  });
  target.interpose = async () => {
    reached();
    await gate;
  };
  return { release, reached: reachedP };
}

/** The process dies: what survives is what the journal made durable. A new store opens on it. */
async function restart(
  durable: Journal,
  targets: SwitchableStore[],
  options: Partial<MultiCloudStoreOptions> = {},
): Promise<{ store: MultiCloudStore; journal: Journal }> {
  const journal = await survivingJournal(durable);
  return { store: primary(journal, targets, options), journal };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe("'primary' puts: the journal record is made beside the upload", () => {
  it('the answer waits for the record when the upload lands first', async () => {
    const { journal, hold } = gatedJournal();
    const targets = threeClouds();
    const store = primary(journal, targets);
    let done = false;
    const put = store.put('k', 'v1').then(() => (done = true));
    await vi.waitFor(() => expect(hold.pending).toHaveLength(1));
    expect(hold.pending[0]).toMatchObject({
      key: 'k',
      intent: true,
      provisional: true,
      holders: ['aws'],
      missing: ['gcp', 'azure'],
    });
    await vi.waitFor(async () => expect((await copiesOf(targets, 'k'))[0]?.text).toBe('v1'));
    await settle();
    expect(done).toBe(false); // landed, but not yet recorded
    hold.release();
    await put;
    // The acknowledged entry replaces the provisional one (it goes with the journal's next write).
    await vi.waitFor(() => expect(hold.pending).toHaveLength(1));
    expect(hold.pending[0]).toMatchObject({ key: 'k', holders: ['aws'], missing: ['gcp', 'azure'] });
    expect(hold.pending[0]!.intent).toBeUndefined();
    expect(hold.pending[0]!.provisional).toBeUndefined();
    hold.release();
  });

  it('the record is durable before the upload lands, and the answer waits for the upload', async () => {
    const journal = createMemoryJournal();
    const targets = threeClouds();
    const store = primary(journal, targets);
    const upload = holdNextPut(targets[0]!);
    let done = false;
    const put = store.put('k', 'v1').then(() => (done = true));
    await upload.reached;
    await vi.waitFor(async () => expect(await journal.pending()).toHaveLength(1));
    expect((await journal.pending())[0]).toMatchObject({ provisional: true, holders: ['aws'] });
    await settle();
    expect(done).toBe(false);
    upload.release();
    await put;
    expect(await getText(store, 'k')).toBe('v1');
    await store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v1', 'v1']);
    expect(journal.backlog()).toBe(0);
  });

  it('a put that failed over is journaled after it, with the target that took it', async () => {
    const journal = createMemoryJournal();
    const targets = threeClouds();
    const store = primary(journal, targets);
    targets[0]!.down = 'unavailable';
    await store.put('k', 'v1');
    const entries = await journal.pending();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ holders: ['gcp'], missing: ['aws', 'azure'] });
    expect(entries[0]!.intent).toBeUndefined();
    expect(entries[0]!.provisional).toBeUndefined();
  });

  it('a put that reached no target withdraws its record: nothing is pending', async () => {
    const journal = createMemoryJournal();
    const targets = threeClouds();
    const store = primary(journal, targets);
    await store.put('k', 'v1');
    await store.repair();
    for (const t of targets) t.down = 'unavailable';
    await expect(store.put('k', 'v2')).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(await journal.pending()).toEqual([]);
    for (const t of targets) t.down = undefined;
    expect(await getText(store, 'k')).toBe('v1');
  });
});

describe("'primary' puts: a crash between the record and the upload", () => {
  it('after the record, before the upload landed: the older version stays, nothing is lost', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const journal = createMemoryJournal();
    const targets = threeClouds();
    const writer = primary(journal, targets);
    await writer.put('k', 'v1');
    await writer.repair();
    const upload = holdNextPut(targets[0]!);
    void writer.put('k', 'v2').catch(() => undefined); // never answered: the process dies
    await upload.reached;
    await vi.waitFor(async () => expect(await journal.pending()).toHaveLength(1));

    const { store, journal: after } = await restart(journal, targets);
    const lost: string[] = [];
    store.on('lost', (e) => lost.push(e.key));
    // Its holder answers for it: v2 is not there, so v2 was never acknowledged and v1 is the value.
    expect(await getText(store, 'k')).toBe('v1');
    // While the holder cannot answer, no other cloud's older copy is served (v2 may have landed).
    targets[0]!.down = 'unavailable';
    await expect(getText(store, 'k')).rejects.toMatchObject({ kind: 'unavailable' });
    targets[0]!.down = undefined;
    // A request of the dead writer may still land: repair waits for the settle window...
    await store.repair();
    expect(after.backlog()).toBeGreaterThan(0);
    // ...after which the version is nowhere: the record is dropped, v1 stays everywhere.
    vi.setSystemTime(Date.now() + SETTLE_MS + 1);
    await store.repair();
    await store.repair();
    expect(after.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v1', 'v1', 'v1']);
    expect(await getText(store, 'k')).toBe('v1');
    expect(lost).toEqual([]);
  });

  it("after the record, the dead writer's upload landing late is copied everywhere", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const journal = createMemoryJournal();
    const targets = threeClouds();
    const writer = primary(journal, targets);
    await writer.put('k', 'v1');
    await writer.repair();
    const upload = holdNextPut(targets[0]!);
    void writer.put('k', 'v2').catch(() => undefined);
    await upload.reached;
    await vi.waitFor(async () => expect(await journal.pending()).toHaveLength(1));

    const { store, journal: after } = await restart(journal, targets);
    await store.repair(); // within the window: nothing to copy yet, nothing dropped
    upload.release(); // the request reaches aws now
    await vi.waitFor(async () => expect((await copiesOf(targets, 'k'))[0]?.text).toBe('v2'));
    await store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    expect(after.backlog()).toBe(0);
    expect(await getText(store, 'k')).toBe('v2');
  });

  it('after the upload landed, before the record was durable: not acknowledged; converges on the newer version', async () => {
    const { journal, inner, hold } = gatedJournal();
    const targets = threeClouds();
    const writer = primary(journal, targets);
    hold.passThrough = true;
    await writer.put('k', 'v1');
    await writer.repair();
    hold.passThrough = false;
    let answered = false;
    void writer.put('k', 'v2').then(
      () => (answered = true),
      () => undefined,
    );
    await vi.waitFor(async () => expect((await copiesOf(targets, 'k'))[0]?.text).toBe('v2'));
    expect(hold.pending).toHaveLength(1); // the record, not yet durable
    await settle();
    expect(answered).toBe(false);

    const { store } = await restart(inner, targets);
    expect(await getText(store, 'k')).toBe('v2'); // the primary holds it
    const report = await store.reconcile();
    expect(report.errors).toEqual([]);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
  });

  it('acknowledged, before its acknowledged entry was durable: never served older, repaired as acknowledged', async () => {
    const { journal, inner, hold } = gatedJournal();
    const targets = threeClouds();
    const writer = primary(journal, targets);
    // v1 on aws and gcp, still pending for azure (an older entry v2 must supersede).
    hold.passThrough = true;
    await writer.put('k', 'v1');
    targets[2]!.down = 'unavailable';
    await writer.repair();
    targets[2]!.down = undefined;
    hold.passThrough = false;
    // Only the acknowledged entries wait: the provisional record goes through.
    hold.holds = (e: JournalEntry) => e.provisional !== true;
    await writer.put('k', 'v2'); // acknowledged
    expect((await inner.pending()).find((e) => e.key === 'k' && e.provisional === true)).toBeDefined();

    const { store, journal: after } = await restart(inner, targets);
    // (The dead writer's store writes to a journal nobody reads any more; closed after the test.)
    hold.passThrough = true;
    hold.release();
    const events: string[] = [];
    for (const name of ['conflict', 'lost'] as const) store.on(name, () => events.push(name));
    // gcp holds v1, an older copy: not served while aws (which holds v2) is down.
    targets[0]!.down = 'unavailable';
    const err = await getText(store, 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).kind).toBe('unavailable');
    targets[0]!.down = undefined;
    expect(await getText(store, 'k')).toBe('v2');
    const v2 = (await store.head('k'))!.version;
    const copied: (string | undefined)[] = [];
    store.on('repaired', (e) => copied.push(e.version));
    await store.repair();
    await store.repair();
    // azure never got v1 on its way to v2: the provisional put was confirmed first.
    expect(copied).toEqual([v2, v2]);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['v2', 'v2', 'v2']);
    expect(after.backlog()).toBe(0);
    expect(events).toEqual([]); // v1's entry was superseded: no conflict, nothing lost
  });
});
