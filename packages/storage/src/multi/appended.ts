import type { Journal, JournalEntry } from '../journal/types.js';
import { compareVersions } from './version.js';

/** Own entries are swept of those whose window has passed every this many notes. */
const SWEEP_EVERY = 1024;

/**
 * What this run of this process appended to its journal (appends that succeeded):
 *
 * - the newest version, which a journal that went back in time no longer holds
 *   (journal-rollback.ts);
 * - the ids of its entries while a late request of theirs may still land (until their `notBefore`,
 *   and at least `settleMs` after they were made): a write of the key inherits no window from its
 *   own process's entries (inherited-windows.ts; its key lock and uncertain windows cover those).
 *   Told by id, not by the writer id in the version: two processes given the same `writerId`
 *   would otherwise take each other's entries for their own.
 */
export class AppendedEntries {
  readonly #settleMs: number;
  readonly #now: () => number;
  #newest: string | undefined;
  /** Entry id -> until when (ms since the epoch) it counts as this process's. */
  readonly #own = new Map<string, number>();
  #notes = 0;

  constructor(settleMs: number, now: () => number = Date.now) {
    this.#settleMs = settleMs;
    this.#now = now;
  }

  /** The newest version appended, `undefined` before any (or since {@link accept}). */
  get newest(): string | undefined {
    return this.#newest;
  }

  /** An append of `entry` succeeded. */
  note(entry: JournalEntry): void {
    if (this.#newest === undefined || compareVersions(entry.version, this.#newest) > 0) {
      this.#newest = entry.version;
    }
    const until = Math.max(entry.notBefore ?? 0, entry.at + this.#settleMs, this.#now() + this.#settleMs);
    this.#own.set(entry.id, Math.max(this.#own.get(entry.id) ?? 0, until));
    if (++this.#notes % SWEEP_EVERY === 0) this.#sweep();
  }

  /** Whether this process appended an entry of this id (whose window has not passed). */
  isOwn(id: string): boolean {
    const until = this.#own.get(id);
    return until !== undefined && until > this.#now();
  }

  /**
   * A rollback was found and is being reconciled, or the journal was replaced: the versions
   * appended before are not compared again (`newest` becomes the journal's newest; later appends
   * raise both).
   */
  accept(newest: string | undefined): void {
    this.#newest = newest;
  }

  /** The number of own entries remembered (for tests). */
  get ownCount(): number {
    return this.#own.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, until] of this.#own) if (until <= now) this.#own.delete(id);
  }
}

/** Appends `entry` to the store's journal and notes it once the append succeeded. */
export async function appendEntry(
  ctx: { readonly journal: Journal; readonly appended: AppendedEntries },
  entry: JournalEntry,
): Promise<void> {
  await ctx.journal.append(entry);
  ctx.appended.note(entry);
}
