import type { Journal } from '../journal/types.js';
import type { PendingIndex } from './pending.js';

/** How long a deferred resolve waits for a journal append to travel with (ms). */
const FLUSH_AFTER_MS = 20;

/**
 * Resolves of journal entries that nothing waits for: a target that took a quorum write after the
 * acknowledgement (a straggler). They go to the journal with its next append, in the same group
 * commit (one fsync instead of two), or after {@link FLUSH_AFTER_MS}. Safe to lose in a crash:
 * the entry then stays pending for that target, and repair finds the copy there and resolves it.
 * The in-memory index follows once the journal has the resolve, as for every other resolve.
 */
export class DeferredResolves {
  readonly #journal: Journal;
  readonly #pending: PendingIndex;
  readonly #onError: (err: unknown) => void;
  #items: { id: string; target: string }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(journal: Journal, pending: PendingIndex, onError: (err: unknown) => void) {
    this.#journal = journal;
    this.#pending = pending;
    this.#onError = onError;
  }

  /** Records, soon, that `target` holds entry `id`. */
  add(id: string, target: string): void {
    this.#items.push({ id, target });
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
    this.#timer.unref?.();
  }

  /** Submits every deferred resolve now (call it in the same tick as a journal append). */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#items.splice(0);
    return Promise.all(
      items.map(({ id, target }) =>
        this.#journal.resolve(id, target).then(() => this.#pending.resolve(id, target), this.#onError),
      ),
    ).then(() => undefined);
  }
}
