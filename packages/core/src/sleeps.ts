/**
 * A call's backoff waits: each a timer, all of them cut short (resolved at once) when the call
 * settles, so no timer outlives its call.
 *
 * @internal
 */
interface Sleep {
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly resolve: () => void;
}

export class Sleeps {
  readonly #pending = new Set<Sleep>();

  /** Resolves after `ms`, or as soon as {@link Sleeps.wakeAll} is called. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleep: Sleep = { timer: undefined, resolve };
      sleep.timer = setTimeout(() => {
        this.#pending.delete(sleep);
        resolve();
      }, ms);
      this.#pending.add(sleep);
    });
  }

  /** Ends every wait now. */
  wakeAll(): void {
    for (const sleep of this.#pending) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.#pending.clear();
  }
}
