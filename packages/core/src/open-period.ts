/**
 * The clock of a breaker's open state (`TargetHealth`): the period running now, the period the
 * next opening uses (doubled after each opening, up to a maximum, back to the base on close), the
 * one timer that ends the period (it half-opens the breaker), and the end of a period an early
 * probe interrupted. No state of the breaker itself: `TargetHealth` decides when to begin, stop
 * or resume, and what the timer's end means.
 *
 * @internal
 */
export class OpenPeriod {
  /** The period running now (while open), ms. */
  current: number;
  /** The period the next opening uses, ms. */
  next: number;
  /** Set so that `#openedAt + current` is when the timer fires; `undefined` while none runs. */
  #openedAt: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the period an early probe interrupted ends (`Date.now()` time). */
  #interruptedDue = 0;

  constructor(
    private readonly base: number,
    private readonly max: number,
    /** Called when a period ends (not after `stop`). */
    private readonly onEnd: () => void,
  ) {
    this.current = base;
    this.next = base;
  }

  /** Begins a period of `ms`: it ends at `now + ms`, and the next opening's is twice as long (capped). */
  begin(ms: number, now: number = Date.now()): void {
    this.current = ms;
    this.next = Math.min(ms * 2, this.max);
    this.endAt(now + ms, now);
  }

  /**
   * Ends the period at `due` (`Date.now()` time; at once when past) instead: the one timer of the
   * open state. {@link halfOpenAt} then says `due`; the period keeps its length.
   */
  endAt(due: number, now: number = Date.now()): void {
    this.#clear();
    this.#openedAt = due - this.current;
    const timer = setTimeout(OpenPeriod.#ended, Math.max(0, due - now), this);
    timer.unref?.();
    this.#timer = timer;
  }

  /** An early probe interrupts the period: its end is kept for {@link resume}, the timer stopped. */
  interrupt(now: number = Date.now()): void {
    this.#interruptedDue = (this.#openedAt ?? now) + this.current;
    this.stop();
  }

  /** Back to the period {@link interrupt} stopped, ending when it would have. */
  resume(): void {
    this.endAt(this.#interruptedDue);
  }

  /** No period runs any more (the timer stopped; the lengths are kept). */
  stop(): void {
    this.#clear();
    this.#openedAt = undefined;
  }

  /** Closed: no period runs, and the next opening's is the base again. */
  reset(): void {
    this.stop();
    this.current = this.base;
    this.next = this.base;
  }

  /** When the running period ends (`Date.now()` time), `undefined` when none runs. */
  get halfOpenAt(): number | undefined {
    return this.#openedAt === undefined ? undefined : this.#openedAt + this.current;
  }

  #clear(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  static #ended(p: OpenPeriod): void {
    p.#timer = undefined;
    p.#openedAt = undefined;
    p.onEnd();
  }
}
