import type { Journal, JournalEntry } from '../journal/types.js';
import type { PendingIndex } from './pending.js';

/** How long a deferred record waits for a journal append to travel with (ms). */
const FLUSH_AFTER_MS = 20;

/** A record nothing waits for: a resolve, or the acknowledged entry that replaces a provisional one. */
type Deferred =
  | { readonly type: 'resolve'; readonly id: string; readonly target: string }
  | { readonly type: 'append'; readonly entry: JournalEntry };

/**
 * Journal records that no caller waits for, sent with the journal's next append, in the same group
 * commit (one fsync instead of two), or after {@link FLUSH_AFTER_MS}:
 *
 * - the resolve of a target that took a quorum write after the acknowledgement (a straggler). Safe
 *   to lose in a crash: the entry then stays pending for that target, and repair finds the copy
 *   there and resolves it. The in-memory index follows once the journal has the resolve.
 * - the acknowledged entry of a `'primary'` put recorded provisionally (see `provisional.ts`). The
 *   index has it already; lost in a crash, the provisional entry and the copy on its holder still
 *   say the same (repair promotes it when it finds the copy).
 *
 * Every journal call of the store flushes them first ({@link DeferredRecords.flush}), so the
 * journal gets the records in the order the store made them.
 */
export class DeferredRecords {
  readonly #journal: Journal;
  readonly #pending: PendingIndex;
  readonly #onError: (err: unknown) => void;
  readonly #onAppended: ((entry: JournalEntry) => void) | undefined;
  #items: Deferred[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `onAppended`: called with each entry whose append succeeded. */
  constructor(
    journal: Journal,
    pending: PendingIndex,
    onError: (err: unknown) => void,
    onAppended?: (entry: JournalEntry) => void,
  ) {
    this.#journal = journal;
    this.#pending = pending;
    this.#onError = onError;
    this.#onAppended = onAppended;
  }

  /** Records, soon, that `target` holds entry `id`. */
  add(id: string, target: string): void {
    this.#push({ type: 'resolve', id, target });
  }

  /** Appends `entry`, soon (the index already holds it). */
  append(entry: JournalEntry): void {
    this.#push({ type: 'append', entry });
  }

  /** Submits every deferred record now, in order (call it just before another journal call). */
  flush(): Promise<void> {
    if (this.#items.length === 0) return Promise.resolve();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#items.splice(0);
    return Promise.all(
      items.map((item) =>
        item.type === 'resolve'
          ? this.#journal
              .resolve(item.id, item.target)
              .then(() => this.#pending.resolve(item.id, item.target), this.#onError)
          : this.#journal.append(item.entry).then(() => this.#onAppended?.(item.entry), this.#onError),
      ),
    ).then(() => undefined);
  }

  #push(item: Deferred): void {
    this.#items.push(item);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
    this.#timer.unref?.();
  }
}
