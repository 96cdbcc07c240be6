import { JournalState, type PendingEntry } from '../journal/state.js';
import type { JournalEntry } from '../journal/types.js';
import { SortedKeys } from '../sorted-keys.js';
import { isPlainPutIntent } from './intents.js';

/**
 * How long a read or a write waits for a journal shared by a fleet to answer (`pendingOf`) before
 * it goes on with this process's own index (ms).
 */
export const SHARED_LOOKUP_MS = 250;

/** A pending journal entry as the store tracks it in memory. */
export type PendingItem = PendingEntry;

/**
 * The store's in-memory view of the journal's pending entries, indexed by key, so reads, lists
 * and writes can ask "does some target lack the newest write of this key?" without touching the
 * journal. It applies the journal's own rules, with the journal's own {@link JournalState}: an
 * entry supersedes older entries of its key for the targets it names; an older entry keeps only
 * the targets newer ones do not name; an entry with the id of a pending one replaces it; an entry
 * with nothing missing is dropped. It is loaded from `journal.pending()` and then follows every
 * append and resolve the store makes.
 */
export class PendingIndex {
  readonly #keys = new SortedKeys();
  #state = this.#newState();

  /** Replaces the index with the journal's pending entries. */
  load(entries: readonly JournalEntry[]): void {
    this.#keys.clear();
    this.#state = this.#newState();
    for (const e of entries) this.append(e);
  }

  /** Applies an append. */
  append(entry: JournalEntry): void {
    this.#state.append(entry);
  }

  /** Applies a resolve: `target` now holds entry `id`. */
  resolve(id: string, target: string): void {
    this.#state.resolve(id, target);
  }

  /** Forgets entry `id` (its append to the journal failed). */
  forget(id: string): void {
    this.#state.forget(id);
  }

  /** The pending entry with this id, if any. */
  item(id: string): PendingItem | undefined {
    return this.#state.item(id);
  }

  /** Whether entry `id` is pending and `target` still lacks it. */
  lacks(id: string, target: string): boolean {
    return this.#state.lacks(id, target);
  }

  /** The newest pending entry of `key`, if any. */
  latest(key: string): PendingItem | undefined {
    return newestOf(this.#state.entriesOf(key)).latest;
  }

  /** The newest pending entry of `key` that was acknowledged (not an intent), if any. */
  latestAcknowledged(key: string): PendingItem | undefined {
    return newestOf(this.#state.entriesOf(key)).acknowledged;
  }

  /** Every pending entry of `key`. */
  entriesOf(key: string): PendingItem[] {
    return this.#state.entriesOf(key);
  }

  /** Keys with a pending entry that start with `prefix`, in UTF-8 byte order. */
  keysWithPrefix(prefix: string): string[] {
    return this.#keys.withPrefix(prefix);
  }

  /** Keys with a pending entry. */
  get keyCount(): number {
    return this.#state.keyCount;
  }

  /** (entry, target) pairs `target` still lacks. */
  behind(target: string): number {
    return this.#state.behind(target);
  }

  /** (entry, target) pairs some target still lacks: every target's {@link behind} together. */
  get backlog(): number {
    return this.#state.backlog;
  }

  /** (entry, target) pairs `target` still lacks, of entries that are not intents. */
  behindRecorded(target: string): number {
    return this.#state.behindRecorded(target);
  }

  /** The pending entries that are intents. */
  intents(): IterableIterator<PendingItem> {
    return this.#state.intents();
  }

  /** A state that tells the sorted keys of each key it gains or loses. */
  #newState(): JournalState {
    return new JournalState((key, present) => this.#keys.note(key, present));
  }
}

/**
 * Of a key's pending items: the newest, the newest acknowledged one (not an intent), and the
 * newest that may have taken effect (`effective`): any but a put's plain intent (a put in flight,
 * or one that failed or whose writer died, that no read has observed: a read that observes one
 * journals it as observed, no intent any more). A delete's intent counts, as a read may have
 * answered "not found" because of it; so does a `'primary'` put's provisional record (it may have
 * been acknowledged). A newer put intent must not hide such a delete: reads would go back to the
 * copies it deleted.
 */
export function newestOf(items: Iterable<PendingItem>): {
  latest: PendingItem | undefined;
  acknowledged: PendingItem | undefined;
  effective: PendingItem | undefined;
} {
  let latest: PendingItem | undefined;
  let acknowledged: PendingItem | undefined;
  let effective: PendingItem | undefined;
  for (const item of items) {
    // At equal versions the later entry wins: it knows more (a corrupt copy found since).
    if (latest === undefined || item.entry.version >= latest.entry.version) latest = item;
    if (
      item.entry.intent !== true &&
      (acknowledged === undefined || item.entry.version >= acknowledged.entry.version)
    )
      acknowledged = item;
    if (
      !isPlainPutIntent(item.entry) &&
      (effective === undefined || item.entry.version >= effective.entry.version)
    )
      effective = item;
  }
  return { latest, acknowledged, effective };
}

/**
 * Lays a shared journal's answer (`shared`: every instance's pending entries) over this process's
 * own pending entries of `keys`, appending both to `into`. An entry of its own that was pending
 * before the lookup was sent (`before`) and that a whole answer does not name was settled by
 * another instance (its repair, or a newer write): it is forgotten in `pending`, not appended. An
 * answer that is not `whole` (a fallback journal answering from its local part alone) proves
 * nothing of the others: every own entry is kept.
 */
export function overlayShared(
  pending: PendingIndex,
  shared: readonly JournalEntry[],
  keys: Iterable<string>,
  before: ReadonlySet<string>,
  whole: boolean,
  into: { append(entry: JournalEntry): void },
): void {
  const named = new Set<string>();
  for (const e of shared) {
    named.add(e.id);
    into.append(e);
  }
  for (const key of keys) {
    for (const item of pending.entriesOf(key)) {
      if (whole && before.has(item.entry.id) && !named.has(item.entry.id)) {
        pending.forget(item.entry.id);
        continue;
      }
      into.append(item.entry);
    }
  }
}
