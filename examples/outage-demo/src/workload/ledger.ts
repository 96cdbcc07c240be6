import { receiptBytes, sha256 } from './content.js';

/** One version of an object, as the application wrote it. */
export interface ObjectVersion {
  readonly sha256: string;
  readonly size: number;
  /** The version's bytes (kept for small objects, regenerated for receipts). */
  bytes(): Buffer;
}

/** A version of a JSON or text object, kept in memory. */
export function inlineVersion(bytes: Buffer): ObjectVersion {
  const digest = sha256(bytes);
  return { sha256: digest, size: bytes.length, bytes: () => bytes };
}

/** A receipt's version: only its seed and size are kept; the bytes are generated again on demand. */
export function generatedVersion(seed: number, size: number, digest: string): ObjectVersion {
  return { sha256: digest, size, bytes: () => receiptBytes(seed, size) };
}

/** What may be stored at a key: an object version, or nothing (`null`). */
export type Expected = ObjectVersion | null;

interface KeyState {
  /** The last write the application was told succeeded (`null`: a delete), if any. */
  acked: Expected | undefined;
  /** Writes after it that failed: they may or may not have taken effect. */
  unacked: Expected[];
}

/** Counts of the application's writes. */
export interface LedgerCounts {
  readonly acknowledged: number;
  readonly unacknowledged: number;
}

/**
 * The application's own record of what it wrote: for each key, the last write it was told
 * succeeded, and the failed writes after it (whose effect is unknown). Verification checks every
 * cloud against it. The workload never writes one key from two operations at once.
 */
export class Ledger {
  readonly #keys = new Map<string, KeyState>();
  #acknowledged = 0;
  #unacknowledged = 0;

  /** The write (a put of `version`, or a delete with `null`) was acknowledged. */
  ack(key: string, version: Expected): void {
    this.#acknowledged++;
    this.#keys.set(key, { acked: version, unacked: [] });
  }

  /** The write failed: the application cannot know whether it took effect. */
  fail(key: string, version: Expected): void {
    this.#unacknowledged++;
    const state = this.#keys.get(key) ?? { acked: undefined, unacked: [] };
    state.unacked.push(version);
    this.#keys.set(key, state);
  }

  /** The last acknowledged state of `key` (`null`: deleted; `undefined`: never acknowledged). */
  acked(key: string): Expected | undefined {
    return this.#keys.get(key)?.acked;
  }

  /**
   * What may be stored at `key` now: its last acknowledged state (nothing, if none) and the states
   * of the failed writes made after it.
   */
  allowed(key: string): Expected[] {
    const state = this.#keys.get(key);
    if (state === undefined) return [null];
    return [state.acked ?? null, ...state.unacked];
  }

  /** Whether the last write to `key` was acknowledged and nothing failed after it. */
  isSettled(key: string): boolean {
    const state = this.#keys.get(key);
    return state !== undefined && state.acked !== undefined && state.unacked.length === 0;
  }

  /** Every key ever written. */
  keys(): string[] {
    return [...this.#keys.keys()].sort();
  }

  counts(): LedgerCounts {
    return { acknowledged: this.#acknowledged, unacknowledged: this.#unacknowledged };
  }
}
