/**
 * One target's bulkhead: at most `maxConcurrent` attempts in flight, and at most `maxQueue` calls
 * waiting (first come, first served) for a slot. A slot freed while calls wait goes straight to
 * the oldest of them.
 *
 * @internal
 */
export class Bulkhead {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Attempts holding a slot now. */
  inflight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(maxConcurrent: number, maxQueue: number) {
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Takes a slot if one is free now. */
  tryTake(): boolean {
    if (this.inflight >= this.maxConcurrent || this.#waiting.length > 0) return false;
    this.inflight++;
    return true;
  }

  /** True when one more call may wait for a slot. */
  get canQueue(): boolean {
    return this.#waiting.length < this.maxQueue;
  }

  /** Waits for a slot (check {@link Bulkhead.canQueue} first); the slot is held once it resolves. */
  take(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
    });
  }

  /** Gives a slot back: to the oldest waiting call, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else if (this.inflight > 0) this.inflight--;
  }
}
