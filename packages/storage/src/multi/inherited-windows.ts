import type { JournalEntry } from '../journal/types.js';
import { within } from '../within.js';
import type { MultiContext } from './context.js';
import { SHARED_LOOKUP_MS } from './pending.js';
import { compareVersions } from './version.js';

/**
 * Windows a write inherits from the older acknowledged entries of its key that it supersedes, when
 * those were written by another process (an instance of a fleet on a shared journal) or by an
 * earlier run of this one (before a restart). A request of such a write may still land on a target
 * its entry lists as missing: one that timed out (`notBefore`), or a copy still straggling there
 * (for `repair.settleMs` after it was acknowledged). That process's own windows
 * (`UncertainWindows`) and key lock cover it there, not here: without this, a delete made here
 * would settle every target, the older put would land late on one of them, and reads would serve
 * it. So the superseding write is journaled as still missing on those targets until the window has
 * passed, and repair checks them again then. Writes of this run of this process inherit nothing:
 * its lock and windows already cover them.
 *
 * Intents (writes still in flight elsewhere, or failed) are left out: a write racing another
 * process's write of the same key is the documented concurrent-writers case (each target keeps
 * whichever landed last, reconcile settles it), not a stale read.
 */

/** What {@link inheritWindows} needs to know of the write and of this process. */
export interface InheritingWrite {
  /** The entry id of the write (its own entries are skipped). */
  readonly id: string;
  /** Its version: only older entries are superseded. */
  readonly version: string;
  /** Now, ms since the epoch. */
  readonly now: number;
  /** The store's `repair.settleMs`. */
  readonly settleMs: number;
  /** Whether an entry was written by this run of this process (it inherits nothing from those). */
  readonly ownEntry: (entry: JournalEntry) => boolean;
}

/**
 * Pure: for each target, until when (ms since the epoch) a late request of an older acknowledged
 * entry of the key, written elsewhere, may still land there. Empty when none may.
 */
export function inheritWindows(entries: Iterable<JournalEntry>, write: InheritingWrite): Map<string, number> {
  const windows = new Map<string, number>();
  for (const e of entries) {
    if (e.intent === true || e.id === write.id || write.ownEntry(e)) continue;
    if (compareVersions(e.version, write.version) >= 0) continue;
    const until = Math.max(e.notBefore ?? 0, e.at + write.settleMs);
    if (until <= write.now) continue;
    for (const t of e.missing) windows.set(t, Math.max(windows.get(t) ?? 0, until));
  }
  return windows;
}

/**
 * The windows a write of `key` at `version` inherits ({@link inheritWindows}): from this process's
 * index of pending entries (those an earlier run left), and with a journal shared by a fleet from
 * the journal's pending entries of the key (one lookup, skipped when the journal says nothing is
 * pending for the key; a journal that does not answer in time leaves the index's answer).
 */
export async function inheritedWindows(
  ctx: MultiContext,
  key: string,
  id: string,
  version: string,
): Promise<Map<string, number>> {
  // The index's entries with the targets that still lack them (a resolved target holds the version).
  const entries: JournalEntry[] = ctx.pending
    .entriesOf(key)
    .map((item) => ({ ...item.entry, missing: [...item.missing] }));
  const journal = ctx.journal;
  if (journal.pendingOf !== undefined && journal.mayHavePending?.(key) !== false) {
    try {
      const shared = await within(journal.pendingOf(key), SHARED_LOOKUP_MS);
      if (shared !== undefined) entries.push(...shared);
    } catch {
      // The shared journal is away: this process's own index is all there is.
    }
  }
  return inheritWindows(entries, {
    id,
    version,
    now: Date.now(),
    settleMs: ctx.options.settleMs,
    ownEntry: (e) => ctx.appended.isOwn(e.id),
  });
}
