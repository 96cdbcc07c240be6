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
  /**
   * Kept entries by id, in the order they were first kept: the last entry appended under the id
   * (an acknowledged record replaces its intent) and the targets resolved since.
   */
  readonly #byId = new Map<string, { entry: JournalEntry; readonly resolved: Set<string> }>();
  /** How many kept entries each key has. */
  readonly #perKey = new Map<string, number>();
  /** How many kept entries every target took when appended (see {@link KeptEntries.settled}). */
  #settled = 0;

  /**
   * Keeps `entry`; keeping an entry of the same id again replaces it (in its place), with the
   * resolves it collected.
   */
  keep(entry: JournalEntry): void {
    const kept = this.#byId.get(entry.id);
    if (kept !== undefined) {
      this.#settled += Number(isSettled(entry)) - Number(isSettled(kept.entry));
      kept.entry = entry;
      return;
    }
    this.#settled += Number(isSettled(entry));
    this.#byId.set(entry.id, { entry, resolved: new Set() });
    this.#perKey.set(entry.key, (this.#perKey.get(entry.key) ?? 0) + 1);
  }

  /**
   * The entries kept now, in the order they were first kept, each as last appended (a merge
   * reads them: one the local journal no longer holds as pending, because every target took it,
   * must still reach the primary).
   */
  entries(): JournalEntry[] {
    return [...this.#byId.values()].map((k) => k.entry);
  }

  /** How many entries are kept. */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * How many kept entries every target took when they were appended (acknowledged, none missing):
   * pending nowhere, so not in the local journal's backlog, yet still to be merged.
   */
  get settled(): number {
    return this.#settled;
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

  /**
   * Stops keeping entry `id` if it is still `entry` (the object a merge read): one appended again
   * under that id since (its acknowledged record replacing its intent while the merge ran) stays
   * kept, for the next merge. Without `entry`: whatever is kept under the id.
   */
  dropIfSame(id: string, entry: JournalEntry | undefined): void {
    const kept = this.#byId.get(id);
    if (kept === undefined || (entry !== undefined && kept.entry !== entry)) return;
    this.drop(id);
  }

  /** Stops keeping entry `id` (merged, or dropped by the local journal). */
  drop(id: string): void {
    const kept = this.#byId.get(id);
    if (kept === undefined) return;
    this.#settled -= Number(isSettled(kept.entry));
    this.#byId.delete(id);
    const { key } = kept.entry;
    const n = (this.#perKey.get(key) ?? 1) - 1;
    if (n > 0) this.#perKey.set(key, n);
    else this.#perKey.delete(key);
  }
}

/** An acknowledged entry that no target lacks. */
function isSettled(entry: JournalEntry): boolean {
  return entry.intent !== true && entry.missing.length === 0;
}
