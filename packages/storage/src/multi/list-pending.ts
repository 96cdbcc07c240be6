import { within } from '../within.js';
import type { MultiContext } from './context.js';
import { overlayShared, PendingIndex } from './pending.js';

/**
 * How long a listing waits for a shared journal's pending entries before it goes on with this
 * process's own view (ms): longer than a read's key lookup, as it fetches every pending entry under
 * the prefix (`Journal.pendingWithPrefix`; the whole backlog from a journal without it).
 */
export const SHARED_LISTING_LOOKUP_MS = 1000;

/**
 * The pending entries a listing under `prefix` corrects its target's listing with. With a journal
 * of this process alone: the store's own index. With a journal shared by a fleet
 * (`Journal.pendingOf`): every instance's pending entries under the prefix, so no instance lists a
 * key another one deleted, or leaves out one it wrote, while the listed target lacks that write
 * (the listing counterpart of a read's shared lookup), together with this process's own. An
 * entry of its own that the shared answer no longer names was settled by another instance (its
 * repair, or a newer write) and is forgotten, as a read's lookup does; but not when the answer
 * came from a fallback journal's local part alone (`primaryAway()`: Redis down), which proves
 * nothing of the others. A journal that does not answer in time (Redis down or slow) leaves the
 * listing with this process's own view.
 */
export async function listingIndex(ctx: MultiContext, prefix: string): Promise<PendingIndex> {
  const journal = ctx.journal;
  if (journal.pendingOf === undefined) return ctx.pending;
  const awayBefore = journal.primaryAway?.() === true;
  // Pending here before the lookup is sent: each was appended to the journal first, so a whole
  // answer names it unless it was settled since.
  const before = new Set<string>();
  for (const key of ctx.pending.keysWithPrefix(prefix)) {
    for (const item of ctx.pending.entriesOf(key)) before.add(item.entry.id);
  }
  // The whole backlog when the listing is of everything (what `pendingWithPrefix('')` answers too).
  const lookup = (prefix === '' ? undefined : journal.pendingWithPrefix?.(prefix)) ?? journal.pending();
  const shared = await within(lookup, SHARED_LISTING_LOOKUP_MS).catch(() => undefined);
  if (shared === undefined) return ctx.pending;
  const whole = !awayBefore && journal.primaryAway?.() !== true;
  const index = new PendingIndex();
  const own = ctx.pending.keysWithPrefix(prefix);
  overlayShared(
    ctx.pending,
    shared.filter((e) => e.key.startsWith(prefix)),
    own,
    before,
    whole,
    index,
  );
  return index;
}
