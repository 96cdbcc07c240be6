import { supersededByMark, union } from './fallback-decide.js';
import type { Journal, JournalEntry, JournalHighWater } from './types.js';

/**
 * What {@link pendingOfBoth} reads from: the fallback journal's two journals, whether the primary
 * is skipped now, and what to do with the primary's failure (rethrow what is not an outage, mark
 * it away otherwise).
 *
 * @internal
 */
export interface BothParts {
  readonly primary: Journal;
  readonly fallback: Journal;
  readonly away: () => boolean;
  readonly outage: (err: unknown) => void;
}

/**
 * Pending entries of both journals (those `keep` says of the local ones): the primary's answer
 * (`shared`) with the local entries it does not supersede, or the local ones alone while the
 * primary is away. As a key's lookup does (fallback-lookups.ts), entries kept locally that a newer
 * write made by another process since supersedes, by the primary's marks, are left out. Else a
 * listing (the whole backlog, or its prefix's, is its lookup) would answer by them until the
 * merge: an older delete hiding the newer put, an older put listed over the newer delete.
 *
 * In this order: the local entries (a merge moves an entry to the primary before it leaves the
 * fallback, so one read after the other finds it in one of them), then the marks, then the
 * primary's entries (a write a mark names is in that answer, or settled). Marks read after the
 * answer could name a write acknowledged in between, which the answer shows as its intent: the
 * entry kept locally would be left out for a write that is not there yet (the fleet soak's stale
 * listing, seed 7005: the listing forgot its own acknowledged put and the key's older delete hid
 * it).
 *
 * @internal
 */
export async function pendingOfBoth(
  parts: BothParts,
  shared: () => Promise<JournalEntry[]>,
  keep?: (e: JournalEntry) => boolean,
): Promise<JournalEntry[]> {
  const all = await parts.fallback.pending();
  const local = keep === undefined ? all : all.filter(keep);
  if (!parts.away()) {
    try {
      return await withKept(parts.primary, local, shared);
    } catch (err) {
      parts.outage(err);
    }
  }
  return union([], local);
}

/**
 * The primary's answer (`shared`, asked last) with the entries kept locally (`local`, read before
 * this is called) that its marks, read in between, do not show superseded: the order
 * {@link pendingOfBoth} explains, shared by a key's lookup (fallback-lookups.ts). Rejects with the
 * primary's failure to answer (a mark that cannot be read keeps its key's entries in).
 *
 * @internal
 */
export async function withKept(
  primary: Journal,
  local: readonly JournalEntry[],
  shared: () => Promise<JournalEntry[]>,
): Promise<JournalEntry[]> {
  const marks = await marksOf(primary, local);
  const answer = await shared();
  return union(
    answer,
    local.filter((e) => !supersededByMark(e, marks.get(e.key))),
  );
}

/**
 * The primary's high-water marks of the keys of the entries kept locally (`local`), by which
 * {@link supersededByMark} leaves out those a newer acknowledged write superseded: one mark lookup
 * per key (entries are kept locally only after an outage, so few keys). A lookup that fails
 * answers `undefined` for its key (its entries stay in), as a key's lookup does.
 */
async function marksOf(
  primary: Journal,
  local: readonly JournalEntry[],
): Promise<Map<string, JournalHighWater | undefined>> {
  const highWater = primary.highWater?.bind(primary);
  if (highWater === undefined || local.length === 0) return new Map();
  const keys = [...new Set(local.map((e) => e.key))];
  return new Map(
    await Promise.all(keys.map(async (key) => [key, await highWater(key).catch(() => undefined)] as const)),
  );
}
