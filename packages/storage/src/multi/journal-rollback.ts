import type { Journal, JournalEntry } from '../journal/types.js';
import { compareVersions } from './version.js';

/**
 * A journal that went back in time: a Redis restarted from an older snapshot (RDB or AOF not yet
 * synced), or a failover to a replica that had not received the latest writes. Its id is the one
 * it had (it is in the snapshot), so the id check of journal-identity.ts does not see it, but the
 * entries appended after the snapshot are gone: which clouds lack those writes is forgotten. What
 * this process knows: the versions of the entries it appended itself. A journal whose
 * `newestVersion()` (never lowered by the journal itself, see `Journal.newestVersion`) is older than
 * the newest of those lost some of them.
 */

/** The newest version of the entries this process appended to its journal (appends that succeeded). */
export class AppendedVersions {
  #newest: string | undefined;

  /** The newest version appended, `undefined` before any. */
  get newest(): string | undefined {
    return this.#newest;
  }

  /** An append of an entry at `version` succeeded. */
  note(version: string): void {
    if (this.#newest === undefined || compareVersions(version, this.#newest) > 0) this.#newest = version;
  }

  /**
   * A rollback was found and is being reconciled: what was appended before it is not compared
   * again (the journal's newest is the baseline; later appends raise both).
   */
  accept(newest: string | undefined): void {
    this.#newest = newest;
  }
}

/**
 * Pure: whether a journal whose newest version is `journalNewest` (`undefined`: it holds none) lost
 * entries this process appended, the newest of which is `appended` (`undefined`: none yet).
 */
export function journalRolledBack(appended: string | undefined, journalNewest: string | undefined): boolean {
  if (appended === undefined) return false;
  return journalNewest === undefined || compareVersions(journalNewest, appended) < 0;
}

/** Appends `entry` to the store's journal and notes its version once the append succeeded. */
export async function appendEntry(
  ctx: { readonly journal: Journal; readonly appended: AppendedVersions },
  entry: JournalEntry,
): Promise<void> {
  await ctx.journal.append(entry);
  ctx.appended.note(entry.version);
}
