import type { MultiCloudOwnEvents } from './types.js';

/**
 * What the journal ids the epoch markers hold mean, against the store's journal's own id (pure;
 * table-tested in test/multi-journal-identity.test.ts; epoch.ts applies it when it establishes
 * the markers, journal-reset.ts reconciles after a reset):
 * - `unknown`: the journal has no id (no `journalId`, an older file not compacted yet, a fallback
 *   journal whose primary is away) or the check is off: nothing is judged, and the markers keep
 *   the id they hold (`keep`), so a later store with a known id still compares against it;
 * - `adopt`: no marker holds an id (markers an older store wrote, or new ones): the store writes
 *   its journal's id to them;
 * - `same`: some marker holds the journal's id: the journal is the one the markers know
 *   (`incomplete`: other markers hold none or another, from a rewrite a crash cut short: the store
 *   writes its id to them too);
 * - `reset`: the markers hold ids, none of them the journal's: the journal was replaced or lost
 *   its data (a wiped directory, a Redis without persistence that restarted or failed over), so
 *   every write it recorded as missing somewhere is forgotten. `previous` is the id most markers
 *   hold (the first one's on a tie).
 */
export type JournalIdDecision =
  | { readonly type: 'unknown'; readonly keep: string | undefined }
  | { readonly type: 'adopt' }
  | { readonly type: 'same'; readonly incomplete: boolean }
  | {
      readonly type: 'reset';
      readonly previous: string;
      /**
       * Set when the journal kept its id but went back in time (journal-rollback.ts): the newest
       * version this process appended, and the journal's newest now (`previous` is its id).
       */
      readonly rolledBack?: JournalRollback;
    };

/** A journal found to have gone back in time (journal-rollback.ts), as the `journalReset` event reports it. */
export type JournalRollback = NonNullable<MultiCloudOwnEvents['journalReset']['rolledBack']>;

/**
 * Decides what `markers` (the journal id each marker holding the store's epoch carries,
 * `undefined` for none) mean for a journal whose id is `current`; see {@link JournalIdDecision}.
 */
export function decideJournalId(
  markers: readonly (string | undefined)[],
  current: string | undefined,
): JournalIdDecision {
  const held = mostCommon(markers);
  if (current === undefined) return { type: 'unknown', keep: held };
  if (markers.includes(current)) return { type: 'same', incomplete: markers.some((m) => m !== current) };
  if (held === undefined) return { type: 'adopt' };
  return { type: 'reset', previous: held };
}

/** The id most markers hold (the first one's on a tie), `undefined` when none holds one. */
export function mostCommon(markers: readonly (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  let best: string | undefined;
  for (const m of markers) {
    if (m === undefined) continue;
    const n = (counts.get(m) ?? 0) + 1;
    counts.set(m, n);
    if (best === undefined || n > counts.get(best)!) best = m;
  }
  return best;
}
