import type { JournalEntry, JournalHighWater } from './types.js';

/**
 * The fallback journal's decisions: pure functions (no clock, no I/O), table-tested in
 * test/journal-fallback-decide.test.ts. `createFallbackJournal` (fallback.ts) and its lookups
 * (fallback-lookups.ts) gather the facts and carry the answers out.
 *
 * @internal
 */

/** What the fallback journal knows before a call. */
export interface FallbackFacts {
  /** The primary failed with an outage and has not answered since: calls skip it. */
  readonly away: boolean;
  /** Entries kept in the fallback (appended while the primary was down, not yet merged back). */
  readonly localBacklog: number;
}

/**
 * Where a lookup of one key's pending entries (`pendingOf`) goes: `reject` at once while the
 * primary is away (as it would after the primary's timeout); `primary` alone while the fallback
 * keeps nothing (one shared lookup, never waiting for the local journal); else `both`, combined.
 */
export type LookupRoute = 'reject' | 'primary' | 'both';

/** Decides where a `pendingOf` lookup goes (see {@link LookupRoute}). */
export function routeLookup(f: FallbackFacts): LookupRoute {
  if (f.away) return 'reject';
  return f.localBacklog === 0 ? 'primary' : 'both';
}

/**
 * True when the primary's `mayHavePending` answers for the key: only while the fallback keeps
 * nothing (its entries are not in the primary's view; the caller then asks for them).
 */
export function primaryAnswersMayHave(f: FallbackFacts): boolean {
  return f.localBacklog === 0;
}

/** True while the merge timer must keep running: entries are kept locally, or the primary is away. */
export function keepMerging(f: FallbackFacts): boolean {
  return f.localBacklog > 0 || f.away;
}

/**
 * How long until the merge timer's next run: `checkMs` while the primary is away (a cheap check,
 * so a primary back is used again soon), `mergeMs` while entries are kept locally with the primary
 * answering, `undefined` when the timer stops (see {@link keepMerging}).
 */
export function nextMergeInMs(f: FallbackFacts, mergeMs: number, checkMs: number): number | undefined {
  if (!keepMerging(f)) return undefined;
  return f.away ? Math.min(checkMs, mergeMs) : mergeMs;
}

/**
 * Whether an entry kept locally (not merged yet) is older than a write the primary's high-water
 * mark names as acknowledged: that newer write (made by another process while this one could not
 * reach the primary) supersedes it, as the merge will find; until then a lookup leaves it out, or
 * a read would answer by it (an older delete hiding the newer put). A mark that is an intent
 * proves nothing yet.
 */
export function supersededByMark(entry: JournalEntry, mark: JournalHighWater | undefined): boolean {
  return mark !== undefined && mark.intent !== true && mark.version > entry.version;
}

/** The newer of two high-water marks (the primary's on a tie); `undefined` when neither has one. */
export function newerMark(
  shared: JournalHighWater | undefined,
  local: JournalHighWater | undefined,
): JournalHighWater | undefined {
  if (shared === undefined) return local;
  return local === undefined || shared.version >= local.version ? shared : local;
}

/**
 * The entries of both journals; an entry in both lists every target either says is missing (a
 * target is only dropped from `missing` when both agree it holds the write), except that an
 * acknowledged record in one replaces its intent in the other.
 */
export function union(shared: readonly JournalEntry[], local: readonly JournalEntry[]): JournalEntry[] {
  const byId = new Map<string, JournalEntry>(shared.map((e) => [e.id, e]));
  for (const e of local) {
    const other = byId.get(e.id);
    if (other === undefined) {
      byId.set(e.id, e);
      continue;
    }
    // An acknowledged record replaces its own intent (as an append of it does): a record kept
    // locally while the primary still holds the intent, or the other way round.
    if (other.intent === true && e.intent !== true) {
      byId.set(e.id, e);
      continue;
    }
    if (e.intent === true && other.intent !== true) continue;
    const missing = [...new Set([...other.missing, ...e.missing])];
    const holders = [...new Set([...other.holders, ...e.holders])].filter((t) => !missing.includes(t));
    byId.set(
      e.id,
      Object.freeze({ ...other, holders: Object.freeze(holders), missing: Object.freeze(missing) }),
    );
  }
  return [...byId.values()];
}

/** What a merge does (see {@link planMerge}). */
export interface MergePlan {
  /**
   * The entries to append to the primary, in order, each with whether the local journal holds it
   * as pending (its targets are then resolved away there once it moved).
   */
  readonly moves: readonly { readonly entry: JournalEntry; readonly pendingHere: boolean }[];
  /**
   * Ids kept that need no move: an intent pending locally no more (withdrawn), or an entry a newer
   * acknowledged entry of its key, also moved, supersedes.
   */
  readonly skip: readonly string[];
}

/**
 * What a merge moves to the primary (pure): `kept` (the entries appended locally since the last
 * merge, in order) and `local` (the local journal's pending entries, read after `kept`). A kept
 * entry still pending locally moves as the local journal holds it (older entries it superseded
 * there are gone). A kept entry pending locally no more moves too, as appended: every target took
 * it (an acknowledged record with none missing, or replacing its intent), and without it the
 * primary would keep the older entries of its key it supersedes pending, and its high-water mark
 * would stay behind (another process's repair, finding such an older version on no target, would
 * report it lost); unless a newer acknowledged entry of its key also moves, which supersedes it. An
 * intent pending locally no more was withdrawn: it does not move. Entries pending locally that were
 * not kept (appended after `kept` was read) move last.
 */
export function planMerge(kept: readonly JournalEntry[], local: readonly JournalEntry[]): MergePlan {
  const pendingHere = new Map(local.map((e) => [e.id, e]));
  // The newest acknowledged version kept per key.
  const newest = new Map<string, string>();
  for (const e of kept) {
    const v = newest.get(e.key);
    if (e.intent !== true && (v === undefined || e.version > v)) newest.set(e.key, e.version);
  }
  const moves: { entry: JournalEntry; pendingHere: boolean }[] = [];
  const skip: string[] = [];
  for (const e of kept) {
    const here = pendingHere.get(e.id);
    if (here !== undefined) {
      moves.push({ entry: here, pendingHere: true });
      pendingHere.delete(e.id);
    } else if (e.intent === true || (newest.get(e.key) ?? '') > e.version) {
      skip.push(e.id);
    } else {
      moves.push({ entry: e, pendingHere: false });
    }
  }
  for (const e of pendingHere.values()) moves.push({ entry: e, pendingHere: true });
  return { moves, skip };
}
