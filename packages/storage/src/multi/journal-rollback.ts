import { compareVersions } from './version.js';

/**
 * A journal that went back in time: a Redis restarted from an older snapshot (RDB or AOF not yet
 * synced), or a failover to a replica that had not received the latest writes. Its id is the one
 * it had (it is in the snapshot), so the id check of journal-identity.ts does not see it, but the
 * entries appended after the snapshot are gone: which clouds lack those writes is forgotten. What
 * this process knows: the versions of the entries it appended itself (appended.ts). A journal whose
 * `newestVersion()` (never lowered by the journal itself, see `Journal.newestVersion`) is older than
 * the newest of those lost some of them.
 */

/**
 * Pure: whether a journal whose newest version is `journalNewest` (`undefined`: it holds none) lost
 * entries this process appended, the newest of which is `appended` (`undefined`: none yet).
 */
export function journalRolledBack(appended: string | undefined, journalNewest: string | undefined): boolean {
  if (appended === undefined) return false;
  return journalNewest === undefined || compareVersions(journalNewest, appended) < 0;
}
