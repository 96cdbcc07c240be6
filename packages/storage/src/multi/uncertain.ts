/**
 * Where a write request may still land late: a request that ended without an answer (attempt
 * timeout, cut connection) can reach its target after the store moved on, and replace a newer
 * copy there. For `settleMs` after such a request, the store does not trust that target's copy of
 * the key: a write that lands there in the window is journaled as not yet confirmed, and repair
 * checks the target again once the window has passed. Kept in memory (the windows are short; after
 * a restart the journal's `notBefore` times carry them).
 */
export class UncertainWindows {
  readonly #settleMs: number;
  readonly #now: () => number;
  /** key -> target -> until (ms since the epoch). */
  readonly #windows = new Map<string, Map<string, number>>();

  constructor(settleMs: number, now: () => number = Date.now) {
    this.#settleMs = settleMs;
    this.#now = now;
  }

  /** Records that a request for `key` to `target` may land until `settleMs` from now; returns that time. */
  open(key: string, target: string): number {
    const until = this.#now() + this.#settleMs;
    this.openUntil(key, target, until);
    return until;
  }

  /**
   * Records that a request for `key` to `target` may land until `until` (ms since the epoch): a
   * presigned upload, which may be sent at any time before its URL expires.
   */
  openUntil(key: string, target: string, until: number): void {
    let byTarget = this.#windows.get(key);
    if (byTarget === undefined) {
      byTarget = new Map();
      this.#windows.set(key, byTarget);
    }
    byTarget.set(target, Math.max(byTarget.get(target) ?? 0, until));
  }

  /** When the window of `key` on `target` ends, or `undefined` when there is none open. */
  until(key: string, target: string): number | undefined {
    const byTarget = this.#windows.get(key);
    if (byTarget === undefined) return undefined;
    const until = byTarget.get(target);
    if (until === undefined) return undefined;
    if (until <= this.#now()) {
      byTarget.delete(target);
      if (byTarget.size === 0) this.#windows.delete(key);
      return undefined;
    }
    return until;
  }

  /** When the last open window of `key` (on any target) ends, or `undefined` when none is open. */
  latest(key: string): number | undefined {
    const byTarget = this.#windows.get(key);
    if (byTarget === undefined) return undefined;
    const now = this.#now();
    let last: number | undefined;
    for (const until of byTarget.values())
      if (until > now && (last === undefined || until > last)) last = until;
    return last;
  }

  /** Drops every window that has ended (called now and then so the map stays small). */
  sweep(): void {
    const now = this.#now();
    for (const [key, byTarget] of this.#windows) {
      for (const [target, until] of byTarget) if (until <= now) byTarget.delete(target);
      if (byTarget.size === 0) this.#windows.delete(key);
    }
  }

  /** Keys with an open window (for status). */
  get size(): number {
    return this.#windows.size;
  }
}
