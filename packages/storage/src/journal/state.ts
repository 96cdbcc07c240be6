import type { JournalEntry } from './types.js';

/** A pending entry as the state keeps it: its targets change as repair and newer writes go on. */
interface LiveEntry {
  readonly entry: JournalEntry;
  readonly holders: string[];
  readonly missing: string[];
  /** What the entry costs in the journal's file (bytes of its line), for the compaction trigger. */
  readonly bytes: number;
}

/**
 * The pending state of a journal: every entry that still has missing targets, in the order they
 * were appended. Both journals use it; the file journal rebuilds it by replaying its file through
 * the same two operations, so a replay gives the same state as the live process had.
 *
 * Rules:
 * - `append` adds an entry (replacing a pending entry with the same id). It supersedes: targets
 *   named in its `holders` or `missing` are removed from the `missing` of older entries (a smaller
 *   `version`) of the same key, since each target needs only the newest version. An entry older
 *   than a pending entry of its key keeps only the targets that newer entry does not mention.
 * - `resolve(id, target)` moves `target` from the entry's `missing` to its `holders`.
 * - An entry whose `missing` is empty is dropped.
 */
export class JournalState {
  readonly #entries = new Map<string, LiveEntry>();
  readonly #byKey = new Map<string, Set<LiveEntry>>();
  #backlog = 0;
  #bytes = 0;

  /** The number of (entry, missing target) pairs. */
  get backlog(): number {
    return this.#backlog;
  }

  /** The number of pending entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** The sum of the `bytes` given for the pending entries. */
  get liveBytes(): number {
    return this.#bytes;
  }

  /** Applies an append; `bytes` is what its record costs in the file (0 for the memory journal). */
  append(entry: JournalEntry, bytes = 0): void {
    const existing = this.#entries.get(entry.id);
    if (existing !== undefined) this.#drop(existing);
    const mentioned = [...entry.holders, ...entry.missing];
    let missing = [...entry.missing];
    const sameKey = this.#byKey.get(entry.key);
    if (sameKey !== undefined) {
      for (const other of [...sameKey]) {
        if (other.entry.version < entry.version) {
          this.#removeMissing(other, mentioned);
        } else if (other.entry.version > entry.version) {
          missing = missing.filter((t) => !other.holders.includes(t) && !other.missing.includes(t));
        }
      }
    }
    if (missing.length === 0) return;
    const live: LiveEntry = { entry, holders: [...entry.holders], missing, bytes };
    this.#entries.set(entry.id, live);
    let set = this.#byKey.get(entry.key);
    if (set === undefined) {
      set = new Set();
      this.#byKey.set(entry.key, set);
    }
    set.add(live);
    this.#backlog += missing.length;
    this.#bytes += bytes;
  }

  /** Applies a resolve; returns false when it changed nothing (unknown id, target not missing). */
  resolve(id: string, target: string): boolean {
    const live = this.#entries.get(id);
    if (live === undefined) return false;
    const i = live.missing.indexOf(target);
    if (i < 0) return false;
    live.missing.splice(i, 1);
    live.holders.push(target);
    this.#backlog--;
    if (live.missing.length === 0) this.#drop(live);
    return true;
  }

  /** Whether an entry with this id is pending. */
  has(id: string): boolean {
    return this.#entries.has(id);
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
      const i = live.missing.indexOf(t);
      if (i >= 0) {
        live.missing.splice(i, 1);
        removed++;
      }
    }
    if (removed === 0) return;
    this.#backlog -= removed;
    if (live.missing.length === 0) this.#drop(live);
  }

  #drop(live: LiveEntry): void {
    this.#entries.delete(live.entry.id);
    const set = this.#byKey.get(live.entry.key);
    set?.delete(live);
    if (set?.size === 0) this.#byKey.delete(live.entry.key);
    this.#backlog -= live.missing.length;
    this.#bytes -= live.bytes;
    live.missing.length = 0;
  }
}
