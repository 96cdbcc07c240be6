import type { JournalEntry } from '../journal/types.js';
import { compareUtf8 } from '../order.js';

/** A pending journal entry as the store tracks it in memory. */
export interface PendingItem {
  readonly entry: JournalEntry;
  readonly holders: Set<string>;
  readonly missing: Set<string>;
}

/**
 * The store's in-memory view of the journal's pending entries, indexed by key, so reads, lists
 * and writes can ask "does some target lack the newest write of this key?" without touching the
 * journal. It applies the journal's own rules (see `Journal`): an entry supersedes older entries
 * of its key for the targets it names; an older entry keeps only the targets newer ones do not
 * name; an entry with the id of a pending one replaces it; an entry with nothing missing is
 * dropped. It is loaded from `journal.pending()` and then follows every append and resolve the
 * store makes.
 */
export class PendingIndex {
  readonly #byId = new Map<string, PendingItem>();
  readonly #byKey = new Map<string, Set<PendingItem>>();
  #sortedKeys: string[] | undefined;

  /** Replaces the index with the journal's pending entries. */
  load(entries: readonly JournalEntry[]): void {
    this.#byId.clear();
    this.#byKey.clear();
    this.#sortedKeys = undefined;
    for (const e of entries) this.append(e);
  }

  /** Applies an append. */
  append(entry: JournalEntry): void {
    const existing = this.#byId.get(entry.id);
    if (existing !== undefined) this.#drop(existing);
    const mentioned = [...entry.holders, ...entry.missing];
    let missing = [...entry.missing];
    const sameKey = this.#byKey.get(entry.key);
    if (sameKey !== undefined) {
      for (const other of [...sameKey]) {
        if (other.entry.version < entry.version) {
          for (const t of mentioned) other.missing.delete(t);
          if (other.missing.size === 0) this.#drop(other);
        } else if (other.entry.version > entry.version) {
          missing = missing.filter((t) => !other.holders.has(t) && !other.missing.has(t));
        }
      }
    }
    if (missing.length === 0) return;
    const item: PendingItem = { entry, holders: new Set(entry.holders), missing: new Set(missing) };
    this.#byId.set(entry.id, item);
    let set = this.#byKey.get(entry.key);
    if (set === undefined) {
      set = new Set();
      this.#byKey.set(entry.key, set);
      this.#sortedKeys = undefined;
    }
    set.add(item);
  }

  /** Applies a resolve: `target` now holds entry `id`. */
  resolve(id: string, target: string): void {
    const item = this.#byId.get(id);
    if (item === undefined || !item.missing.delete(target)) return;
    item.holders.add(target);
    if (item.missing.size === 0) this.#drop(item);
  }

  /** Forgets entry `id` (its append to the journal failed). */
  forget(id: string): void {
    const item = this.#byId.get(id);
    if (item !== undefined) this.#drop(item);
  }

  /** Whether entry `id` is pending and `target` still lacks it. */
  lacks(id: string, target: string): boolean {
    return this.#byId.get(id)?.missing.has(target) === true;
  }

  /** The newest pending entry of `key`, if any. */
  latest(key: string): PendingItem | undefined {
    const set = this.#byKey.get(key);
    if (set === undefined) return undefined;
    let best: PendingItem | undefined;
    for (const item of set) if (best === undefined || item.entry.version > best.entry.version) best = item;
    return best;
  }

  /** Every pending entry of `key`. */
  entriesOf(key: string): PendingItem[] {
    return [...(this.#byKey.get(key) ?? [])];
  }

  /** Keys with a pending entry that start with `prefix`, in UTF-8 byte order. */
  keysWithPrefix(prefix: string): string[] {
    this.#sortedKeys ??= [...this.#byKey.keys()].sort(compareUtf8);
    return prefix === '' ? [...this.#sortedKeys] : this.#sortedKeys.filter((k) => k.startsWith(prefix));
  }

  /** Keys with a pending entry. */
  get keyCount(): number {
    return this.#byKey.size;
  }

  /** (entry, target) pairs `target` still lacks. */
  behind(target: string): number {
    let n = 0;
    for (const item of this.#byId.values()) if (item.missing.has(target)) n++;
    return n;
  }

  #drop(item: PendingItem): void {
    this.#byId.delete(item.entry.id);
    const set = this.#byKey.get(item.entry.key);
    if (set === undefined) return;
    set.delete(item);
    if (set.size === 0) {
      this.#byKey.delete(item.entry.key);
      this.#sortedKeys = undefined;
    }
  }
}
