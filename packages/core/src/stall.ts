/**
 * Event-loop stalls of this process, measured by timer drift: a timer meant to run every
 * `INTERVAL_MS` that runs late by more than `MIN_LAG_MS` records the lateness as a stall. Used
 * to tell a target that did not answer in time from a process that could not listen (a CPU-bound
 * stretch, a long GC): an attempt limit that passes mostly during a stall is extended instead of
 * counted against the target.
 *
 * The timer runs only while the router has time limits pending (its `Timeouts` say when: see
 * `busy`/`idle`), is unref'd, and costs a few microseconds per tick.
 * `Date.now()` is read through `globalThis` at each use, so fake timers drive it.
 *
 * @internal
 */

const INTERVAL_MS = 50;
/** Lateness below this is ordinary scheduling noise. */
const MIN_LAG_MS = 20;
/** Stalls remembered (the oldest is forgotten first). */
const SIZE = 32;
export class StallMonitor {
  readonly #ends = new Float64Array(SIZE);
  readonly #lengths = new Float64Array(SIZE);
  #next = 0;
  #lastTick = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** Time limits are pending: make sure the drift timer runs. */
  busy(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#lastTick = Date.now();
    const timer = setInterval(StallMonitor.#tick, INTERVAL_MS, this);
    timer.unref?.();
    this.#timer = timer;
  }

  /** True while the drift timer runs. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** No time limit is pending: stop the timer (stalls then no longer matter). */
  idle(): void {
    this.#stop();
  }

  /** Stops the timer for good. */
  close(): void {
    this.#closed = true;
    this.#stop();
  }

  /**
   * Milliseconds this process was stalled since `since` (a `Date.now()` time), including a stall
   * ending right now that the timer has not seen yet.
   */
  stalledSince(since: number): number {
    if (this.#timer === undefined) return 0;
    this.#poll(Date.now());
    let total = 0;
    for (let i = 0; i < SIZE; i++) {
      const end = this.#ends[i]!;
      if (end <= since) continue;
      total += Math.min(this.#lengths[i]!, end - since);
    }
    return total;
  }

  /**
   * True when an attempt that started at `startedAt` and was given `limitMs` has not had that much
   * unstalled time yet: its limit passed because this process was blocked.
   */
  explainsTimeout(startedAt: number, limitMs: number): boolean {
    const stalled = this.stalledSince(startedAt);
    if (stalled < MIN_LAG_MS) return false;
    return Date.now() - startedAt - stalled < limitMs;
  }

  /**
   * True when a `timeout` failure reported by the operation itself (an SDK's own timer) is better
   * explained by a stall of this process: at least a quarter of the attempt's time was stalled.
   */
  explainsFailure(startedAt: number): boolean {
    const stalled = this.stalledSince(startedAt);
    return stalled >= 4 * MIN_LAG_MS && stalled * 4 >= Date.now() - startedAt;
  }

  static #tick(m: StallMonitor): void {
    m.#poll(Date.now());
  }

  #poll(now: number): void {
    const lag = now - this.#lastTick - INTERVAL_MS;
    if (lag >= MIN_LAG_MS) {
      this.#ends[this.#next] = now;
      this.#lengths[this.#next] = lag;
      this.#next = (this.#next + 1) % SIZE;
    }
    if (now > this.#lastTick) this.#lastTick = now;
  }

  #stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
