import type { JournalEntry } from './types.js';

/** A pending entry as the state keeps it: its targets change as repair and newer writes go on. */
export interface PendingEntry {
  readonly entry: JournalEntry;
  /** The targets that hold the entry's write, in the order they got it. */
  readonly holders: readonly string[];
  /** The targets that still lack it (never empty while the entry is pending). */
  readonly missing: readonly string[];
}

/**
 * The state's own record of a pending entry. Its targets are plain arrays (a handful of names
 * each), not sets: a long outage keeps hundreds of thousands of entries, and an array of one or two
 * names costs a third of what a `Set` does.
 */
interface LiveEntry extends PendingEntry {
  holders: readonly string[];
  missing: readonly string[];
  /** What the entry costs in the journal's file (bytes of its line), for the compaction trigger. */
  readonly bytes: number;
}

/**
 * The pending state of a journal: every entry that still has missing targets, in the order they
 * were appended. Both journals use it; the file journal rebuilds it by replaying its file through
 * the same two operations, so a replay gives the same state as the live process had. The
 * multi-cloud store keeps one too (its index of what the journal holds), so both apply the same
 * rules.
 *
 * Rules:
 * - `append` adds an entry (replacing a pending entry with the same id). It supersedes: targets
 *   named in its `holders` or `missing` are removed from the `missing` of older entries (a smaller
 *   `version`) of the same key, since each target needs only the newest version. An entry older
 *   than a pending entry of its key keeps only the targets that newer entry does not mention.
 *   An intent (`intent: true`, not acknowledged) supersedes nothing, in either direction, until an
 *   entry with its id (the acknowledged record) replaces it; an intent never replaces a pending
 *   acknowledged entry of its id (it is ignored).
 * - `resolve(id, target)` moves `target` from the entry's `missing` to its `holders`.
 * - An entry whose `missing` is empty is dropped.
 * - `newestVersion` is the newest version of every entry ever appended, dropped or not.
 */
export class JournalState {
  readonly #entries = new Map<string, LiveEntry>();
  readonly #byKey = new Map<string, readonly LiveEntry[]>();
  readonly #onKeysChanged: ((key: string, present: boolean) => void) | undefined;
  #backlog = 0;
  readonly #behind = new Map<string, number>();
  readonly #recorded = new Map<string, number>();
  readonly #intents = new Set<LiveEntry>();
  #bytes = 0;
  #newestVersion: string | undefined;

  /**
   * `onKeysChanged` is called when a key gets its first pending entry (`present`) or loses its last
   * one.
   */
  constructor(onKeysChanged?: (key: string, present: boolean) => void) {
    this.#onKeysChanged = onKeysChanged;
  }

  /** The number of (entry, missing target) pairs. */
  get backlog(): number {
    return this.#backlog;
  }

  /** (entry, target) pairs `target` still lacks. O(1). */
  behind(target: string): number {
    return this.#behind.get(target) ?? 0;
  }

  /** (entry, target) pairs `target` still lacks, of entries that are not intents. O(1). */
  behindRecorded(target: string): number {
    return this.#recorded.get(target) ?? 0;
  }

  /** The pending entries that are intents. */
  intents(): IterableIterator<PendingEntry> {
    return this.#intents.values();
  }

  /** The number of pending entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** The sum of the `bytes` given for the pending entries. */
  get liveBytes(): number {
    return this.#bytes;
  }

  /**
   * The newest version (compared as strings) of every entry appended, pending or not, and of every
   * version given to {@link JournalState.noteVersion}; `undefined` before any.
   */
  get newestVersion(): string | undefined {
    return this.#newestVersion;
  }

  /** The number of keys with a pending entry. */
  get keyCount(): number {
    return this.#byKey.size;
  }

  /** Applies an append; `bytes` is what its record costs in the file (0 for the memory journal). */
  append(entry: JournalEntry, bytes = 0): void {
    this.noteVersion(entry.version);
    const existing = this.#entries.get(entry.id);
    // An intent never replaces its id's acknowledged record: once a version was confirmed (a read
    // returned it), its writer's later failure record cannot make it unacknowledged again.
    if (existing !== undefined && entry.intent === true && existing.entry.intent !== true) return;
    if (existing !== undefined) this.#drop(existing);
    const mentioned = [...entry.holders, ...entry.missing];
    let missing = [...entry.missing];
    const sameKey = this.#byKey.get(entry.key);
    if (sameKey !== undefined) {
      for (const other of [...sameKey]) {
        // An intent (not acknowledged) supersedes nothing and is never a reason to drop a target.
        if (other.entry.version < entry.version) {
          if (entry.intent !== true) this.#removeMissing(other, mentioned);
        } else if (other.entry.version > entry.version && other.entry.intent !== true) {
          missing = missing.filter((t) => !other.holders.includes(t) && !other.missing.includes(t));
        }
      }
    }
    if (missing.length === 0) return;
    const live: LiveEntry = { entry, holders: unique(entry.holders), missing: unique(missing), bytes };
    this.#entries.set(entry.id, live);
    const sameKeyNow = this.#byKey.get(entry.key);
    if (sameKeyNow === undefined) {
      this.#byKey.set(entry.key, [live]);
      this.#onKeysChanged?.(entry.key, true);
    } else this.#byKey.set(entry.key, [...sameKeyNow, live]);
    this.#backlog += live.missing.length;
    for (const t of live.missing) this.#count(live, t, 1);
    if (entry.intent === true) this.#intents.add(live);
    this.#bytes += bytes;
  }

  /**
   * Raises {@link JournalState.newestVersion} to `version` when it is newer (the file journal's
   * replay of the newest version a compacted file kept of entries it no longer holds).
   */
  noteVersion(version: string): void {
    if (this.#newestVersion === undefined || version > this.#newestVersion) this.#newestVersion = version;
  }

  /** Applies a resolve; returns false when it changed nothing (unknown id, target not missing). */
  resolve(id: string, target: string): boolean {
    const live = this.#entries.get(id);
    if (live === undefined || !live.missing.includes(target)) return false;
    live.missing = without(live.missing, target);
    if (!live.holders.includes(target)) live.holders = [...live.holders, target];
    this.#backlog--;
    this.#count(live, target, -1);
    if (live.missing.length === 0) this.#drop(live);
    return true;
  }

  /** Drops the pending entry with this id, if there is one. */
  forget(id: string): void {
    const live = this.#entries.get(id);
    if (live !== undefined) this.#drop(live);
  }

  /** Whether an entry with this id is pending. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The pending entry with this id (a live view), if any. */
  item(id: string): PendingEntry | undefined {
    return this.#entries.get(id);
  }

  /** Whether the entry with this id is pending and `target` still lacks it. */
  lacks(id: string, target: string): boolean {
    return this.#entries.get(id)?.missing.includes(target) === true;
  }

  /** The pending entries, oldest first (live views: they change as the state does). */
  entries(): IterableIterator<PendingEntry> {
    return this.#entries.values();
  }

  /** The pending entries of `key` (live views), oldest first. */
  entriesOf(key: string): PendingEntry[] {
    return [...(this.#byKey.get(key) ?? [])];
  }

  /** The keys with a pending entry. */
  keys(): IterableIterator<string> {
    return this.#byKey.keys();
  }

  /** Copies of the pending entries with their current holders and missing targets, oldest first. */
  pending(): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (const live of this.#entries.values()) {
      out.push(
        Object.freeze({
          ...live.entry,
          holders: Object.freeze([...live.holders]),
          missing: Object.freeze([...live.missing]),
        }),
      );
    }
    return out;
  }

  #removeMissing(live: LiveEntry, targets: readonly string[]): void {
    let removed = 0;
    for (const t of targets) {
      if (!live.missing.includes(t)) continue;
      live.missing = without(live.missing, t);
      removed++;
      this.#count(live, t, -1);
    }
    if (removed === 0) return;
    this.#backlog -= removed;
    if (live.missing.length === 0) this.#drop(live);
  }

  #count(live: LiveEntry, target: string, by: number): void {
    add(this.#behind, target, by);
    if (live.entry.intent !== true) add(this.#recorded, target, by);
  }

  #drop(live: LiveEntry): void {
    this.#entries.delete(live.entry.id);
    const sameKey = this.#byKey.get(live.entry.key);
    if (sameKey !== undefined) {
      const rest = without(sameKey, live);
      if (rest.length > 0) this.#byKey.set(live.entry.key, rest);
      else {
        this.#byKey.delete(live.entry.key);
        this.#onKeysChanged?.(live.entry.key, false);
      }
    }
    this.#backlog -= live.missing.length;
    for (const t of live.missing) this.#count(live, t, -1);
    this.#intents.delete(live);
    this.#bytes -= live.bytes;
    live.missing = [];
  }
}

/**
 * `items` without repeats, in their order, as a new array of exactly that length (an array grown by
 * `push` reserves room for 16 more).
 */
function unique(items: readonly string[]): readonly string[] {
  return items.filter((item, i) => items.indexOf(item) === i).slice();
}

/** A new array of `items` but `item` (exactly its length: the state replaces, never grows, one). */
function without<T>(items: readonly T[], item: T): readonly T[] {
  return items.filter((x) => x !== item).slice();
}

/** Adds `by` to `target`'s count (a count of 0 is no entry). */
function add(counts: Map<string, number>, target: string, by: number): void {
  const n = (counts.get(target) ?? 0) + by;
  if (n === 0) counts.delete(target);
  else counts.set(target, n);
}
