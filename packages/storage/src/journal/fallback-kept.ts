import type { JournalEntry } from './types.js';

/**
 * The entries a fallback journal keeps locally (appended while its primary was away, or
 * superseding such an entry) until they are merged back into the primary, with the resolves that
 * arrived for each meanwhile. Their resolves wait for the merge: an entry resolved away in the
 * local journal would never reach the primary, so the older entries of its key it supersedes
 * would stay pending there, and other processes would read and list by them (a pending delete
 * hiding the newer put).
 *
 * @internal
 */
export class KeptEntries {
  /** Kept entries by id: their key and the targets resolved since they were kept. */
  readonly #byId = new Map<string, { readonly key: string; readonly resolved: Set<string> }>();
  /** How many kept entries each key has. */
  readonly #perKey = new Map<string, number>();

  /** Keeps `entry` (once; keeping it again changes nothing). */
  keep(entry: JournalEntry): void {
    if (this.#byId.has(entry.id)) return;
    this.#byId.set(entry.id, { key: entry.key, resolved: new Set() });
    this.#perKey.set(entry.key, (this.#perKey.get(entry.key) ?? 0) + 1);
  }

  /** Whether an entry of `key` is kept. */
  hasKey(key: string): boolean {
    return this.#perKey.has(key);
  }

  /**
   * Notes that `target` holds the kept entry `id`, for its merge to apply in the primary; false
   * when no entry of that id is kept.
   */
  resolve(id: string, target: string): boolean {
    const kept = this.#byId.get(id);
    if (kept === undefined) return false;
    kept.resolved.add(target);
    return true;
  }

  /**
   * The next resolve of entry `id` not in `done`, if any: the merge applies them one by one, so
   * one that arrives while it runs is applied too.
   */
  nextResolve(id: string, done: ReadonlySet<string>): string | undefined {
    for (const t of this.#byId.get(id)?.resolved ?? []) if (!done.has(t)) return t;
    return undefined;
  }

  /** Stops keeping entry `id` (merged, or dropped by the local journal). */
  drop(id: string): void {
    const kept = this.#byId.get(id);
    if (kept === undefined) return;
    this.#byId.delete(id);
    const n = (this.#perKey.get(kept.key) ?? 1) - 1;
    if (n > 0) this.#perKey.set(kept.key, n);
    else this.#perKey.delete(kept.key);
  }

  /** The ids kept now. */
  ids(): Set<string> {
    return new Set(this.#byId.keys());
  }

  /**
   * Stops keeping every entry of `among` (the ids kept when the local journal was read) whose id
   * is not in `ids` (that read: the local journal dropped them itself). Entries kept since that
   * read stay, with their resolves.
   */
  retainOnly(ids: ReadonlySet<string>, among: ReadonlySet<string>): void {
    for (const id of among) if (!ids.has(id)) this.drop(id);
  }
}
