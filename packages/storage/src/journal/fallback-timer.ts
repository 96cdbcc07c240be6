/**
 * The fallback journal's background timer: one `setTimeout` at a time that runs the journal's
 * check-and-merge (`run`) when `inMs` says, again after each run, and stops once `inMs` answers
 * `undefined` (nothing kept locally, the primary answering). Used by `createFallbackJournal`
 * (fallback.ts); when to run is decided by `nextMergeInMs` (fallback-decide.ts).
 *
 * @internal
 */
export class MergeTimer {
  #timer: NodeJS.Timeout | undefined;
  /** When `#timer` fires (ms since the epoch). */
  #due = 0;
  #closed = false;

  constructor(
    /** How soon the next run is due in the journal's state now (ms), or `undefined` for none. */
    private readonly inMs: () => number | undefined,
    /** The run (a check of the primary, then a merge); its failure goes to `report`. */
    private readonly run: () => Promise<unknown>,
    private readonly report: (err: unknown) => void,
  ) {}

  /**
   * Sets the timer for the next run when none is set. `sooner`: a timer already set for a later
   * run (a merge) is moved up to this state's (the primary just went away: a check).
   */
  schedule(sooner = false): void {
    if (this.#closed) return;
    const inMs = this.inMs();
    if (inMs === undefined) return;
    if (this.#timer !== undefined) {
      if (!sooner || this.#due <= Date.now() + inMs) return;
      clearTimeout(this.#timer);
    }
    this.#due = Date.now() + inMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.run()
        .catch(this.report)
        .finally(() => this.schedule());
    }, inMs);
    this.#timer.unref?.();
  }

  /** No run after this one. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
