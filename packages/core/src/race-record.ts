import { slowerAsARule } from './hedge-delay.js';
import type { LatencyWindow } from './latency.js';
import { HEDGE_AUTO } from './options.js';

/** Hedge races lost in a row before a target is demoted (see {@link RaceRecord.lost}). */
export const LOST_RACES_TO_DEMOTE = 3;

/**
 * One target's record of hedge races: whether it lost enough of them, in a row and against
 * targets that are faster as a rule, to be demoted (tried after the others for a while).
 */
export class RaceRecord {
  /** Counted races lost in a row. */
  #lost = 0;

  /**
   * A hedged call was answered by a target of latency `winner` while this target (of latency
   * `own`, the call's first) still ran. The race counts only where this target is slow as a rule
   * against the winner: its median above `HEDGE_AUTO.slowerFactor` times the winner's (or the
   * winner has fewer than `HEDGE_AUTO.otherSamples` latencies, so nothing says otherwise). A
   * hedge fires in this target's tail, where another target often answers first although this one
   * is as fast in general: such a race says nothing, and ends the streak. Returns true at the
   * {@link LOST_RACES_TO_DEMOTE}th counted race in a row (the streak then starts again).
   */
  lost(own: LatencyWindow, winner: LatencyWindow): boolean {
    if (!slowerThan(own, winner)) {
      this.#lost = 0;
      return false;
    }
    if (++this.#lost < LOST_RACES_TO_DEMOTE) return false;
    this.#lost = 0;
    return true;
  }

  /** This target answered a call first: its losing streak ends. */
  won(): void {
    this.#lost = 0;
  }
}

/**
 * `a` is slow as a rule against `b`, or nothing is known of one of them: `a` has answered nothing
 * yet (a cold target's cut attempts are not recorded), or `b` too little to compare.
 */
function slowerThan(a: LatencyWindow, b: LatencyWindow): boolean {
  return a.samples === 0 || b.samples < HEDGE_AUTO.otherSamples || slowerAsARule(a, b);
}
