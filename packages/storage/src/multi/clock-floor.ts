import type { Journal, JournalEntry } from '../journal/types.js';

/**
 * The newest version the journal knows this store (or any writer sharing the journal) stamped:
 * its {@link Journal.newestVersion} when it has one, and the newest of the `pending` entries it
 * answered (all a journal without that method tells). The store's clock moves past it when the
 * store opens, before any write is stamped: a process restarted with its wall clock behind the
 * one it had (an NTP step, a VM restored from a snapshot, a move to a host with a wrong clock)
 * would otherwise stamp writes older than versions the clouds already hold, and those older
 * stamps would lose to them (repair never copies over a newer version; reads return the newest).
 * Rejects when `newestVersion` does (the store's `ready` then fails, as with a failed open).
 */
export async function newestJournaled(
  journal: Journal,
  pending: readonly JournalEntry[],
): Promise<string | undefined> {
  let newest = await journal.newestVersion?.();
  for (const e of pending) if (newest === undefined || e.version > newest) newest = e.version;
  return newest;
}
