import type { JournalEntry, JournalHighWater } from '../journal/types.js';
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
  await journal.append(entry);
  ctx.pending.append(entry);
  ctx.repairSoon();
  return entry;
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
