import {
  createFallbackJournal,
  createMemoryJournal,
  type Journal,
  type JournalEntry,
  JournalError,
  type MultiCloudStore,
} from '@failover/storage';
import { afterEach, expect, it } from 'vitest';
import { openMultiStore, threeClouds } from './multi-fixtures.js';

// A store asks its journal's newest version at each repair pass: older than the newest it appended
// itself, the journal went back in time (journal-rollback.ts). With a fallback journal whose
// shared part stopped answering right then (a Redis paused or killed between the pass's id check
// and this question: fleet soak seed 27808), the answer was the local part's alone, older or
// none: a rollback was reported, and every cloud reconciled, although nothing was lost.

const open: MultiCloudStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A shared journal (a memory one with an id) whose `newestVersion` fails while `failing`. */
function sharedJournal(): Journal & { failing: boolean } {
  const inner = createMemoryJournal();
  const of = (keep: (e: JournalEntry) => boolean) => inner.pending().then((es) => es.filter(keep));
  const j: Journal & { failing: boolean } = {
    failing: false,
    open: () => inner.open?.() ?? Promise.resolve(),
    append: (e) => inner.append(e),
    highWater: (key) => inner.highWater!(key),
    resolve: (id, t) => inner.resolve(id, t),
    pending: () => inner.pending(),
    pendingOf: (key) => of((e) => e.key === key),
    pendingWithPrefix: (prefix) => of((e) => e.key.startsWith(prefix)),
    backlog: () => inner.backlog(),
    compact: () => inner.compact(),
    close: () => inner.close(),
    journalId: async () => 'shared-journal',
    newestVersion: () =>
      j.failing
        ? Promise.reject(
            new JournalError('timeout', 'the shared journal did not answer', { target: 'shared' }),
          )
        : inner.newestVersion!(),
  };
  return j;
}

it('a shared journal that stops answering as a repair pass asks its newest version is not a rollback', async () => {
  const shared = sharedJournal();
  const journal = createFallbackJournal({
    primary: shared,
    fallback: createMemoryJournal(),
    mergeIntervalMs: 60_000,
  });
  const targets = threeClouds();
  const { store } = openMultiStore(open, targets, { journal, amnesia: {}, writerId: 'app' });
  const resets: unknown[] = [];
  store.on('journalReset', (e) => resets.push(e));
  targets[0]!.down = 'unavailable';
  await store.put('k', 'v1'); // journaled in the shared journal: aws lacks it
  targets[0]!.down = undefined;
  await store.repair();
  expect(resets).toEqual([]);
  shared.failing = true;
  await store.repair();
  expect(resets).toEqual([]);
  expect(store.status().counts.journalResets).toBe(0);
});
