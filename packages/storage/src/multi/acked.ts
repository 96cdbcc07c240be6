import { HIGH_WATER_RETENTION_MS, type JournalOp } from '../journal/types.js';
import { compareVersions } from './version.js';

/** The newest write of a key this process acknowledged. */
export interface AckedWrite {
  readonly op: JournalOp;
  readonly version: string;
  /** SHA-256 (hex) of a put's content, when known when it was acknowledged. */
  readonly sha256?: string | undefined;
  /** Size of a put's content in bytes, when known. */
  readonly size?: number | undefined;
}

/** Most keys remembered at once; the least recently written are forgotten first. */
export const MAX_ACKED_KEYS = 50_000;

/**
 * The newest version of each key this process acknowledged (a put or a delete), for
 * {@link HIGH_WATER_RETENTION_MS} after it and for at most {@link MAX_ACKED_KEYS} keys (about 120
 * bytes each: the version and hash strings are the journal's own). A read that finds a copy older
 * than it found a request that landed late, after the settle window (`repair.settleMs`) had
 * passed (see read.ts; a listing that lists such a copy: late-copy.ts). In memory only: a
 * restarted process no longer knows these writes (a documented limit, as are other instances of a
 * fleet).
 *
 * @internal
 */
export class AckedWrites {
  /** Oldest write first (a key written again moves to the end), so pruning stops early. */
  readonly #writes = new Map<string, { write: AckedWrite; at: number }>();
  readonly #max: number;
  readonly #retentionMs: number;
  readonly #now: () => number;

  constructor(max = MAX_ACKED_KEYS, retentionMs = HIGH_WATER_RETENTION_MS, now: () => number = Date.now) {
    this.#max = max;
    this.#retentionMs = retentionMs;
    this.#now = now;
  }

  /** Records an acknowledged write; an older version than the one remembered changes nothing. */
  note(key: string, write: AckedWrite): void {
    const now = this.#now();
    const old = this.#writes.get(key);
    if (old !== undefined && compareVersions(old.write.version, write.version) > 0) return;
    this.#writes.delete(key);
    this.#writes.set(key, { write, at: now });
    this.#prune(now);
  }

  /** The newest write of `key` acknowledged here within the retention, if any. */
  get(key: string): AckedWrite | undefined {
    const found = this.#writes.get(key);
    if (found === undefined) return undefined;
    if (this.#now() - found.at > this.#retentionMs) {
      this.#writes.delete(key);
      return undefined;
    }
    return found.write;
  }

  /** When the write {@link AckedWrites.get} returns for `key` was acknowledged (ms since epoch). */
  acknowledgedAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.#writes.get(key)?.at;
  }

  /**
   * Forgets `key`: repair or reconcile let another writer's copy stay in place of the write
   * acknowledged here (a conflict), so that write no longer bounds what reads return.
   */
  forget(key: string): void {
    this.#writes.delete(key);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.#writes.size;
  }

  #prune(now: number): void {
    for (const [key, { at }] of this.#writes) {
      if (this.#writes.size <= this.#max && now - at <= this.#retentionMs) break;
      this.#writes.delete(key);
    }
  }
}

/**
 * Whether a copy at `found` (its version; `undefined` for an object no multi-cloud store wrote)
 * is older than the acknowledged write `acked` (pure). An object without a version is not
 * judged: it was written behind the store's back, as before.
 */
export function olderThanAcked(found: string | undefined, acked: AckedWrite | undefined): boolean {
  return acked !== undefined && found !== undefined && compareVersions(found, acked.version) < 0;
}
