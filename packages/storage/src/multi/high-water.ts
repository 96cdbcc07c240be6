import { HIGH_WATER_RETENTION_MS, type JournalEntry, type JournalHighWater } from '../journal/types.js';
import { appendEntry } from './appended.js';
import type { MultiContext } from './context.js';
import { entryId } from './journaling.js';
import { compareVersions } from './version.js';

/**
 * What a copy that just landed on a target must still get (pure): the key's high-water mark
 * (`mark`, the newest write any process journaled for it) when it is newer than the version the
 * copy carried (`copied`), as an entry saying that `target` lacks it; `undefined` when the copy is
 * as new as any write journaled. A delete's intent that is no longer pending while the mark still
 * names it (`withdrawn`: it reached no target and its writer withdrew it) did not happen. The
 * entry has its own id (`behind:<target>:<version>:<key>`), so it never replaces the writer's own
 * entry of that version; repair then overwrites or deletes the copy, conditionally on what the
 * target holds.
 */
export function behindMark(
  key: string,
  target: string,
  copied: string | undefined,
  mark: JournalHighWater | undefined,
  withdrawn: boolean,
  now: number,
): JournalEntry | undefined {
  if (mark === undefined || compareVersions(mark.version, copied) <= 0) return undefined;
  if (mark.intent === true && withdrawn) return undefined;
  return {
    id: `behind:${target}:${mark.version}:${key}`,
    op: mark.op,
    key,
    version: mark.version,
    ...(mark.sha256 === undefined ? {} : { sha256: mark.sha256 }),
    ...(mark.size === undefined ? {} : { size: mark.size }),
    holders: [],
    missing: [target],
    at: now,
    ...(mark.intent === true ? { intent: true } : {}),
  };
}

/**
 * After repair or reconcile copied version `copied` of `key` to `target`: when another process
 * journaled a newer write of the key meanwhile (its delete landed on the target before the copy
 * did, leaving nothing there to refuse it; or its put is still on its way), the target is
 * journaled as lacking that newer write, and repair brings it there. Returns the entry journaled,
 * or `undefined` (nothing newer, or a journal without high-water marks). One journal call per
 * copy; a second one only for a delete's intent, to tell a pending one from a withdrawn one.
 * Rejects when the journal cannot answer (the pair then stays pending).
 */
export async function journalIfBehind(
  ctx: MultiContext,
  key: string,
  target: string,
  copied: string | undefined,
): Promise<JournalEntry | undefined> {
  const journal = ctx.journal;
  if (journal.highWater === undefined) return undefined;
  let mark = await journal.highWater(key);
  if (mark === undefined || compareVersions(mark.version, copied) <= 0) return undefined;
  let withdrawn = false;
  if (mark.intent === true) {
    const id = mark.id;
    if (!(await pendingNow(ctx, key, id))) {
      mark = await journal.highWater(key);
      withdrawn = intentWithdrawn(id, mark, false);
    }
  }
  const entry = behindMark(key, target, copied, mark, withdrawn, Date.now());
  if (entry === undefined) return undefined;
  await journalBehind(ctx, entry);
  return entry;
}

/** Journals a {@link behindMark} entry, adds it to the store's index and asks for a repair pass. */
export async function journalBehind(ctx: MultiContext, entry: JournalEntry): Promise<void> {
  await appendEntry(ctx, entry);
  ctx.pending.append(entry);
  ctx.repairSoon();
}

/**
 * Before a copy of repair or reconcile, with a journal shared by a fleet: rejects when the key's
 * mark cannot be read now (the shared journal away or failing). The check after the copy
 * ({@link journalIfBehind}) would then fail too and the copy would be taken back: none is made,
 * and the pair waits for the next pass. A journal of one process needs no look (its mark is in
 * memory).
 */
export async function markReadable(ctx: MultiContext, key: string): Promise<void> {
  const journal = ctx.journal;
  if (journal.pendingOf !== undefined && journal.highWater !== undefined) await journal.highWater(key);
}

/**
 * Whether the intent recorded as `id` was withdrawn by its writer (pure): it is not pending
 * (`pending`, read first) while the key's high-water mark, read after, still names it as an
 * intent. An acknowledged record replaces the mark in the same step that settles it, and a newer
 * write moves the mark on, so either leaves this false.
 */
export function intentWithdrawn(
  id: string,
  markAfter: JournalHighWater | undefined,
  pending: boolean,
): boolean {
  return !pending && markAfter?.id === id && markAfter.intent === true;
}

/** True when the entry `id` of `key` is pending in the journal (shared, when it can say so) now. */
async function pendingNow(ctx: MultiContext, key: string, id: string): Promise<boolean> {
  const journal = ctx.journal;
  return journal.pendingOf !== undefined
    ? (await journal.pendingOf(key)).some((e) => e.id === id)
    : ctx.pending.item(id) !== undefined;
}

/**
 * Before repair applies a delete's intent, or a `behind:` entry made from one (another process's
 * delete still on its way when a copy landed): with a journal that settles intents atomically
 * (`settleIntent`, a journal shared by a fleet), the intent is confirmed first, so that its writer
 * can no longer withdraw it (as reaching no cloud) while repair deletes copies on its behalf: the
 * delete then takes effect everywhere, never on some clouds only with nothing left pending.
 *
 * - `'confirmed'`: confirmed now; repair goes on.
 * - `'gone'`: the intent itself is pending no more (withdrawn, or settled by another instance):
 *   nothing to do for it.
 * - `'as-before'`: not such an entry, a journal without `settleIntent`, a `behind:` entry whose
 *   intent is not pending any more ({@link behindIntentWithdrawn} tells whether it was withdrawn),
 *   or an intent acknowledged since (repair applies it).
 */
export async function confirmIntent(
  ctx: MultiContext,
  entry: JournalEntry,
): Promise<'confirmed' | 'gone' | 'as-before'> {
  const journal = ctx.journal;
  if (entry.op !== 'delete' || entry.intent !== true || journal.settleIntent === undefined)
    return 'as-before';
  const behind = entry.id.startsWith('behind:');
  const origin = behind ? entryId(entry.version, entry.key) : entry.id;
  if (await journal.settleIntent(origin, 'confirm')) return 'confirmed';
  if (behind) return 'as-before';
  return (await pendingNow(ctx, entry.key, origin)) ? 'as-before' : 'gone';
}

/**
 * Before repair applies a `behind:` entry made from a delete's intent (another process's delete
 * that was still on its way when a copy landed): true when that intent has been withdrawn since
 * (its delete reached no target, so it did not happen), and the copy the entry would delete is the
 * key's live version. One or two journal calls, only for such entries. False for every other
 * entry, and when the journal keeps no high-water marks.
 */
export async function behindIntentWithdrawn(ctx: MultiContext, entry: JournalEntry): Promise<boolean> {
  const journal = ctx.journal;
  if (entry.intent !== true || !entry.id.startsWith('behind:') || journal.highWater === undefined)
    return false;
  const origin = entryId(entry.version, entry.key);
  const before = await journal.highWater(entry.key);
  if (before?.id !== origin || before.intent !== true) return false;
  if (await pendingNow(ctx, entry.key, origin)) return false;
  return intentWithdrawn(origin, await journal.highWater(entry.key), false);
}

/**
 * How often a copy still in progress (repair's or reconcile's) looks at its key's high-water mark:
 * twice per {@link HIGH_WATER_RETENTION_MS}. A mark is kept for that long after the key's last
 * append, so a write journaled while the copy runs is seen by one of these looks (or by the check
 * after the copy landed) before it expires, however long the copy takes.
 */
export const MARK_WATCH_MS = HIGH_WATER_RETENTION_MS / 2;

/** How soon a look at the mark that failed (the journal did not answer) is tried again (ms). */
const MARK_RETRY_MS = 60_000;

/**
 * Watches `key`'s high-water mark while a copy to `target` runs (a slow upload, a big object): every
 * {@link MARK_WATCH_MS} (and at once when `now` is set: the copy's decision may be older than that),
 * a mark newer than the version being copied (`copied()`) journals the target as lacking it, as the
 * check after the copy would ({@link journalIfBehind}); repair then brings it there, after the copy
 * (it waits for the key's lock), conditionally on what the target holds. Without it, a copy that
 * took longer than the mark's retention would be checked against an expired mark. A look that
 * fails is tried again after a minute. `stop()` when the copy is done.
 */
export function watchMark(
  ctx: MultiContext,
  key: string,
  target: string,
  copied: () => string | undefined,
  now = false,
): { stop(): void } {
  if (ctx.journal.highWater === undefined) return { stop: () => {} };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (ms: number): void => {
    timer = setTimeout(look, ms);
    timer.unref?.();
  };
  const look = (): void => {
    if (stopped) return;
    journalIfBehind(ctx, key, target, copied()).then(
      () => {
        if (!stopped) schedule(MARK_WATCH_MS);
      },
      () => {
        if (!stopped) schedule(MARK_RETRY_MS);
      },
    );
  };
  schedule(now ? 0 : MARK_WATCH_MS);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * What the key's high-water mark (the newest write any process journaled for it) says of a
 * version found on no target any more:
 * - `'superseded'`: a newer write happened and settled (the mark names a newer version that is not
 *   an intent: acknowledged, or an intent confirmed by repair). The version was overwritten or
 *   deleted, not lost.
 *   So is a version older than the one the mark `recorded` (the newest write recorded that is not
 *   an intent) when the mark itself is a newer write's intent (fleet soak seed 27604: another
 *   instance's acknowledged delete, then its next put's intent in flight, and this version was
 *   reported lost).
 * - `'inFlight'`: the mark names a newer intent still pending, and the journal does not say what
 *   was recorded before it: a write in flight (or failed and not withdrawn yet) that may hide an
 *   acknowledged one; nothing can be concluded until it settles.
 * - `'none'`: nothing newer (or a newer intent its writer withdrew: it reached no cloud and
 *   supersedes nothing). Journals without high-water marks: `'none'`.
 *
 * Rejects when the journal cannot answer.
 */
export async function markVerdict(
  ctx: MultiContext,
  entry: { readonly key: string; readonly version: string },
): Promise<'superseded' | 'inFlight' | 'none'> {
  const mark = await ctx.journal.highWater?.(entry.key);
  if (mark === undefined || compareVersions(mark.version, entry.version) <= 0) return 'none';
  if (mark.intent !== true) return 'superseded';
  // The acknowledged write the intent follows, when the journal keeps it (`recorded`).
  if (mark.recorded !== undefined && compareVersions(mark.recorded, entry.version) > 0) return 'superseded';
  return (await pendingNow(ctx, entry.key, mark.id)) ? 'inFlight' : 'none';
}
