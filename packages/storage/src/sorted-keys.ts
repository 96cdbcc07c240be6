import { compareUtf8 } from './order.js';

/**
 * A set of keys that answers "the keys starting with `prefix`, in UTF-8 byte order" without
 * sorting them all again after each change. It keeps a sorted snapshot and the changes made since
 * (key -> present now); a lookup takes the prefix's range of the snapshot by binary search, drops
 * the keys changed since, and merges in the changed keys that are present, sorted (a few). Once
 * the changes outnumber an eighth of the snapshot (and 1,024), the next lookup folds them in: one
 * pass over the snapshot and a sort of the changes, not a sort of every key. {@link sorted} folds
 * them at once (a few changes by binary search and splice, more by that pass).
 *
 * Why: during a long outage the store's pending index holds hundreds of thousands of keys and
 * every write adds or drops one; sorting them all for each listing cost 0.3 s at 100,000 keys and
 * 6 s at a million.
 */
export class SortedKeys {
  #snapshot: string[] = [];
  readonly #changes = new Map<string, boolean>();
  #size = 0;

  /** The number of keys in the set. */
  get size(): number {
    return this.#size;
  }

  /** Records that `key` joined the set (`present`) or left it. Each call must change the set. */
  note(key: string, present: boolean): void {
    this.#size += present ? 1 : -1;
    this.#changes.set(key, present);
  }

  /** Empties the set. */
  clear(): void {
    this.#snapshot = [];
    this.#changes.clear();
    this.#size = 0;
  }

  /** The keys that start with `prefix`, in UTF-8 byte order (a new array). */
  withPrefix(prefix: string): string[] {
    if (this.#changes.size > Math.max(1024, this.#snapshot.length / 8)) this.#fold();
    const base = this.#range(prefix);
    if (this.#changes.size === 0) return base;
    const kept = base.filter((k) => !this.#changes.has(k));
    const added: string[] = [];
    for (const [key, present] of this.#changes) if (present && key.startsWith(prefix)) added.push(key);
    if (added.length === 0) return kept;
    return merge(kept, added.sort(compareUtf8));
  }

  /** Every key, in UTF-8 byte order: the snapshot with the changes folded in (do not modify it). */
  sorted(): readonly string[] {
    if (this.#changes.size > 0) this.#fold();
    return this.#snapshot;
  }

  /** The snapshot's keys that start with `prefix` (they are contiguous in byte order). */
  #range(prefix: string): string[] {
    const keys = this.#snapshot;
    if (prefix === '') return keys.slice();
    const lo = firstAtLeast(keys, prefix);
    let end = lo;
    while (end < keys.length && keys[end]!.startsWith(prefix)) end++;
    return keys.slice(lo, end);
  }

  /** Folds the changes into the snapshot. */
  #fold(): void {
    if (this.#changes.size <= SPLICE_CHANGES) {
      const keys = this.#snapshot;
      for (const [key, present] of this.#changes) {
        const at = firstAtLeast(keys, key);
        const there = at < keys.length && keys[at] === key;
        if (present && !there) keys.splice(at, 0, key);
        else if (!present && there) keys.splice(at, 1);
      }
      this.#changes.clear();
      return;
    }
    const kept = this.#snapshot.filter((k) => !this.#changes.has(k));
    const added: string[] = [];
    for (const [key, present] of this.#changes) if (present) added.push(key);
    this.#snapshot = merge(kept, added.sort(compareUtf8));
    this.#changes.clear();
  }
}

/** Up to this many changes are folded into the snapshot one by one (binary search and splice). */
const SPLICE_CHANGES = 64;

/** Index of the first of `keys` (sorted) that is `>= bound` in UTF-8 order. */
export function firstAtLeast(keys: readonly string[], bound: string): number {
  return firstWhere(keys, (key) => compareUtf8(key, bound) >= 0);
}

/** Index of the first of `keys` (sorted) that is `> bound` in UTF-8 order. */
export function firstAfter(keys: readonly string[], bound: string): number {
  return firstWhere(keys, (key) => compareUtf8(key, bound) > 0);
}

/** Index of the first of `keys` for which `past` holds (false for a prefix of them, then true). */
function firstWhere(keys: readonly string[], past: (key: string) => boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(keys[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Two sorted arrays (no key in both) merged into one. */
function merge(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = compareUtf8(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
