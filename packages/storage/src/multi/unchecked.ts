import type { BlobInfo } from '../types.js';
import type { MultiContext, UncheckedCopy } from './context.js';
import { journalIfBehind } from './high-water.js';
import { deleteSeen, isRefused } from './transfer.js';

/**
 * The check of a copy against its key's high-water mark failed (the journal did not answer), so
 * nothing says whether another process deleted (or overwrote) the key before the copy landed. The
 * pair it was made for may be gone from the journal already (a newer write supersedes it there),
 * so the copy cannot simply be left for the next pass: it is taken back (a delete conditional on
 * the copy's own etag: anything written there since stays), leaving the target as it was before
 * the copy; the pair, when still pending, copies it again later. When it cannot be taken back
 * (the target failed, or reports no etag), it is remembered and checked again at the start of
 * each repair pass ({@link recheckUnchecked}) until the journal answers. Memory only: a crash of
 * the process while both the journal and the target fail loses that reminder.
 */
export async function setAsideUnchecked(
  ctx: MultiContext,
  copy: UncheckedCopy,
  landed: BlobInfo | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (landed?.etag !== undefined) {
    try {
      await deleteSeen(ctx, copy.key, copy.target, landed, signal);
      return;
    } catch (err) {
      // Refused: something else replaced the copy there since, and that write has its own record.
      if (isRefused(err)) return;
    }
  }
  ctx.uncheckedCopies.set(`${copy.target}\n${copy.key}`, copy);
}

/** Checks the copies {@link setAsideUnchecked} remembered; those the journal answered for are done. */
export async function recheckUnchecked(ctx: MultiContext): Promise<void> {
  for (const [id, copy] of [...ctx.uncheckedCopies]) {
    try {
      await journalIfBehind(ctx, copy.key, copy.target, copy.version);
      ctx.uncheckedCopies.delete(id);
    } catch {
      return; // the journal still does not answer: the next pass
    }
  }
}
