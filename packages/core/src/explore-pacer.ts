/**
 * How often adaptive hedging explores targets it knows too little of: a pure counter, table-tested
 * in test/explore-pacer.test.ts.
 *
 * @internal
 */
import { HEDGE_AUTO } from './options.js';

/**
 * Paces exploration (`hedge: { afterMs: 'auto' }` while another target is unknown): one call in
 * `HEDGE_AUTO.exploreEvery` at first. An exploring hedge that loses its race is aborted and
 * records no latency, so while the first target answers well the others may stay unknown for
 * good: each exploration after which nothing was learned (the unknown targets' sample count did
 * not move) doubles the interval, up to `HEDGE_AUTO.exploreMaxEvery`; learning anything brings it
 * back to `exploreEvery`. A first target that turns slow is still left: its own tail-latency hedges
 * win their races, and their answers are samples.
 */
export class ExplorePacer {
  #calls = 0;
  #every: number = HEDGE_AUTO.exploreEvery;
  /** The unknown targets' sample count at the last exploration (-1: none yet). */
  #seenAt = -1;

  /** Calls between explorations now. */
  get every(): number {
    return this.#every;
  }

  /**
   * Whether this call explores (asked only while some other target is unknown); `samples`: the
   * samples recorded so far of the targets still unknown.
   */
  explore(samples: number): boolean {
    if (++this.#calls < this.#every) return false;
    this.#calls = 0;
    if (this.#seenAt >= 0) {
      this.#every =
        samples !== this.#seenAt
          ? HEDGE_AUTO.exploreEvery
          : Math.min(HEDGE_AUTO.exploreMaxEvery, this.#every * 2);
    }
    this.#seenAt = samples;
    return true;
  }
}
