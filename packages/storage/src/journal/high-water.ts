import { HIGH_WATER_RETENTION_MS, type JournalEntry, type JournalHighWater } from './types.js';

/** The high-water mark of an entry (its fixed fields, without holders and missing). */
export function highWaterOf(entry: JournalEntry): JournalHighWater {
  return {
    id: entry.id,
    op: entry.op,
    version: entry.version,
    ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }),
    ...(entry.size === undefined ? {} : { size: entry.size }),
    ...(entry.intent === true ? { intent: true } : {}),
  };
}

/**
 * Whether an appended entry becomes its key's high-water mark in place of `mark` (pure): a newer
 * version does; at the same version, an entry that is not an intent does (an acknowledged record
 * after its intent), and an intent does only in place of its own intent: an intent under another
 * id (repair's `behind:` bookkeeping of a version some process wrote) or in place of an
 * acknowledged mark (a writer's failure record after another process confirmed the version a read
 * returned) does not, so the mark keeps saying whether the write was acknowledged. An older
 * version never does.
 */
export function replacesMark(mark: JournalHighWater | undefined, entry: JournalEntry): boolean {
  if (mark === undefined || entry.version > mark.version) return true;
  if (entry.version < mark.version) return false;
  return entry.intent !== true || (entry.id === mark.id && mark.intent === true);
}

/**
 * The newest write appended per key, each kept for {@link HIGH_WATER_RETENTION_MS} after the
 * key's last append (memory stays bounded by the keys written in that time). Used by the memory
 * and file journals for {@link Journal.highWater}.
 */
export class HighWaterMarks {
  /**
   * Oldest append first (a key appended again moves to the end), so pruning stops early; with
   * the newest version recorded for the key that is not an intent (`recorded`).
   */
  readonly #marks = new Map<string, { mark: JournalHighWater; recorded: string | undefined; at: number }>();
  readonly #retentionMs: number;
  readonly #now: () => number;

  constructor(retentionMs = HIGH_WATER_RETENTION_MS, now: () => number = Date.now) {
    this.#retentionMs = retentionMs;
    this.#now = now;
  }

  /** Applies an append: the entry becomes its key's mark when {@link replacesMark} says so. */
  append(entry: JournalEntry): void {
    const now = this.#now();
    this.#prune(now);
    const old = this.#marks.get(entry.key);
    this.#marks.delete(entry.key);
    const mark = replacesMark(old?.mark, entry) ? highWaterOf(entry) : old!.mark;
    let recorded = old?.recorded;
    if (entry.intent !== true && (recorded === undefined || entry.version > recorded))
      recorded = entry.version;
    this.#marks.set(entry.key, { mark, recorded, at: now });
  }

  /** The key's mark, if one was appended within the retention (see {@link JournalHighWater.recorded}). */
  get(key: string): JournalHighWater | undefined {
    this.#prune(this.#now());
    const kept = this.#marks.get(key);
    if (kept === undefined) return undefined;
    return withRecorded(kept.mark, kept.recorded);
  }

  /** How many keys have a mark. */
  get size(): number {
    return this.#marks.size;
  }

  #prune(now: number): void {
    for (const [key, { at }] of this.#marks) {
      if (now - at <= this.#retentionMs) return;
      this.#marks.delete(key);
    }
  }
}

/** `mark`, with `recorded` when it is an intent and a version was recorded for its key (else as is). */
function withRecorded(mark: JournalHighWater, recorded: string | undefined): JournalHighWater {
  return mark.intent === true && recorded !== undefined ? { ...mark, recorded } : mark;
}
