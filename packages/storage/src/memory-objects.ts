import { commonPrefixOf } from './list-prefix.js';
import { compareUtf8 } from './order.js';
import { newEtag, type ObjectRecord, toBlobInfo } from './record.js';
import { firstAfter, firstAtLeast, SortedKeys } from './sorted-keys.js';
import type { BlobInfo, ListEntry } from './types.js';

/** One stored object of a memory store. */
export interface MemoryEntry {
  readonly record: ObjectRecord;
  /** Never mutated: a write replaces the entry, so a reader keeps the bytes it started with. */
  readonly bytes: Buffer;
}

/** Where the next list page starts: after `after`, skipping keys under the common prefix `skip`. */
export interface ListCursor {
  readonly after: string;
  readonly skip: string | undefined;
}

/**
 * The objects of a memory store by key, with the keys in UTF-8 byte order for listing (a key added
 * or removed is folded into the order, not sorted again with all the others). No validation: the
 * store checks its input.
 */
export class MemoryObjects {
  readonly #objects = new Map<string, MemoryEntry>();
  readonly #keys = new SortedKeys();

  get(key: string): MemoryEntry | undefined {
    return this.#objects.get(key);
  }

  has(key: string): boolean {
    return this.#objects.has(key);
  }

  /** Stores `bytes` under `key` with a new etag and `lastModified`; returns the object's info. */
  commit(key: string, record: Omit<ObjectRecord, 'key' | 'etag' | 'lastModified'>, bytes: Buffer): BlobInfo {
    const full: ObjectRecord = { ...record, key, etag: newEtag(), lastModified: Date.now() };
    if (!this.#objects.has(key)) this.#keys.note(key, true);
    this.#objects.set(key, { record: full, bytes });
    return toBlobInfo(full);
  }

  delete(key: string): void {
    if (this.#objects.delete(key)) this.#keys.note(key, false);
  }

  /**
   * One list page: up to `pageSize` objects and common prefixes under `prefix`, from `cursor` on;
   * `next` is where the following page starts (`undefined` after the last).
   */
  page(
    prefix: string,
    delimiter: string | undefined,
    pageSize: number,
    cursor: ListCursor | undefined,
  ): { entries: ListEntry[]; next: ListCursor | undefined } {
    const keys = this.#keys.sorted();
    const entries: ListEntry[] = [];
    let skip = cursor?.skip;
    for (let i = cursor ? firstAfter(keys, cursor.after) : firstAtLeast(keys, prefix); i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) {
        if (compareUtf8(key, prefix) > 0) break;
        continue;
      }
      if (skip !== undefined && key.startsWith(skip)) continue;
      const common = commonPrefixOf(key, prefix, delimiter);
      if (common !== undefined) {
        entries.push({ prefix: common });
        skip = common;
        if (entries.length === pageSize) return { entries, next: { after: common, skip: common } };
        continue;
      }
      entries.push(toBlobInfo(this.#objects.get(key)!.record));
      if (entries.length === pageSize) return { entries, next: { after: key, skip: undefined } };
    }
    return { entries, next: undefined };
  }
}
