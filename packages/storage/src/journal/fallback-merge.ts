import { within } from '../within.js';
import { JournalError } from './errors.js';
import { planMerge } from './fallback-decide.js';
import type { KeptEntries } from './fallback-kept.js';
import type { Journal } from './types.js';

/**
 * The parts of a fallback journal a merge moves entries between.
 *
 * @internal
 */
export interface MergeParts {
  readonly primary: Journal;
  readonly fallback: Journal;
  readonly kept: KeptEntries;
}

/**
 * Moves every entry the local fallback holds into the primary, oldest first, each with the
 * resolves it collected while kept (also those arriving meanwhile), then resolves it away locally;
 * also the entries kept that the local journal holds as pending no more because every target took
 * them (see {@link planMerge}). Rejects with the primary's first failure (what was moved before it
 * stays moved: appends are idempotent by id, so the next merge repeats the rest harmlessly).
 * Resolves with how many moved.
 *
 * @internal
 */
export async function moveKept({ primary, fallback, kept }: MergeParts): Promise<number> {
  // Kept before the local journal is read: an entry kept after it (an append while this runs) is
  // not in `local` or in `before`, and stays kept for the next merge.
  const before = kept.entries();
  const local = await fallback.pending();
  const plan = planMerge(before, local);
  // What each id held when read: one appended again since (its record replacing its intent) stays
  // kept for the next merge rather than be dropped unmerged.
  const read = new Map(before.map((e) => [e.id, e]));
  for (const id of plan.skip) kept.dropIfSame(id, read.get(id));
  for (const { entry, pendingHere } of plan.moves) {
    await primary.append(entry);
    await applyKeptResolves(primary, kept, entry.id);
    kept.dropIfSame(entry.id, read.get(entry.id));
    if (pendingHere) for (const t of entry.missing) await fallback.resolve(entry.id, t);
  }
  return plan.moves.length;
}

/**
 * Applies in the primary the resolves a kept entry collected (just appended there), also those
 * that arrive while this runs (it ends once it has applied them all).
 */
async function applyKeptResolves(primary: Journal, kept: KeptEntries, id: string): Promise<void> {
  const done = new Set<string>();
  for (;;) {
    const next = kept.nextResolve(id, done);
    if (next === undefined) return;
    await primary.resolve(id, next);
    done.add(next);
  }
}

/** How long `close()` waits for its last merge (ms). */
export const CLOSE_MERGE_MS = 5000;

/**
 * `close()`'s merge: at most {@link CLOSE_MERGE_MS}, so a primary that hangs cannot hold the
 * close. A merge that fails or does not end in time is reported (the entries stay in the local
 * fallback until a journal opens it again); it never rejects.
 *
 * @internal
 */
export async function mergeBeforeClose(
  merge: () => Promise<number>,
  backlog: () => number,
  report: (error: unknown) => void,
): Promise<void> {
  try {
    const merged = await within(
      merge().then(() => true),
      CLOSE_MERGE_MS,
    );
    if (merged === undefined) {
      report(
        new JournalError(
          'timeout',
          `The shared journal did not take the ${backlog()} entries kept locally within ${CLOSE_MERGE_MS} ms of close(); they stay in the local fallback until a journal opens it again`,
        ),
      );
    }
  } catch (err) {
    report(err);
  }
}
