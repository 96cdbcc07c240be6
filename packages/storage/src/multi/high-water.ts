import type { JournalEntry, JournalHighWater } from '../journal/types.js';
import type { MultiContext } from './context.js';
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
    // Not pending now while the mark, read after, still names the intent: it was withdrawn (an
    // acknowledged record would have replaced the mark in the same step that settled it).
    const id = mark.id;
    const pending =
      journal.pendingOf !== undefined
        ? (await journal.pendingOf(key)).some((e) => e.id === id)
        : ctx.pending.item(id) !== undefined;
    if (!pending) {
      mark = await journal.highWater(key);
      withdrawn = mark?.id === id && mark.intent === true;
    }
  }
  const entry = behindMark(key, target, copied, mark, withdrawn, Date.now());
  if (entry === undefined) return undefined;
  await journal.append(entry);
  ctx.pending.append(entry);
  ctx.repairSoon();
  return entry;
}
