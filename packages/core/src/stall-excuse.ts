/**
 * Whether an attempt that timed out is excused as this process's own doing (its event loop was
 * blocked, so an answer may be waiting unread in the socket): a pure decision (no clock, no I/O),
 * table-tested in test/stall-excuse.test.ts. `StallMonitor` gathers the facts (stall.ts).
 *
 * An answer that arrives while the process runs is read within one turn of its event loop, so only
 * a stretch in which the loop did not run can hide one. Two things make the excuse discriminating:
 *
 * - **Only long stalls count** ({@link HIDING_STALL_MS} each). A loaded machine makes every timer
 *   tick a little late (tens of ms), which delays reading an answer by that much and never
 *   explains an attempt that waited seconds; summing those small lags used to excuse a blackholed
 *   cloud forever under sustained CPU load.
 * - **Peers answering prove the process was listening.** When another target answered during the
 *   attempt, any answer of this target that had arrived by then would have been read too: only
 *   the stalls after that moment can have hidden it. A target that stays silent while its peers
 *   answer is counted against, whatever the load.
 *
 * @internal
 */

/**
 * Stalls shorter than this are ignored: they delay reading an answer by less than this, which does
 * not explain an attempt that waited much longer.
 */
export const HIDING_STALL_MS = 100;

/** What is known when an attempt timed out. */
export interface StallFacts {
  /** Time from the attempt's start to now, ms. */
  readonly elapsedMs: number;
  /**
   * Time this process was stalled in stalls of at least {@link HIDING_STALL_MS}, since the later
   * of the attempt's start and the last moment another target answered (the process then read its
   * sockets), ms.
   */
  readonly stalledMs: number;
  /**
   * The attempt's own time limit (the router's `attemptTimeoutMs`), or `undefined` for a timeout
   * the operation reported itself (an SDK's or a cloud store's own timer, whose limit is unknown).
   */
  readonly limitMs: number | undefined;
}

/** The answer of {@link decideStallExcuse}. */
export interface StallExcuse {
  readonly excused: boolean;
  /**
   * For an excused attempt with its own limit: how much longer to give it (the part of its limit
   * it spent stalled, at most the whole limit), at least 1 ms. 0 otherwise.
   */
  readonly extendMs: number;
}

const NOT_EXCUSED: StallExcuse = Object.freeze({ excused: false, extendMs: 0 });
const EXCUSED: StallExcuse = Object.freeze({ excused: true, extendMs: 0 });

/**
 * Decides whether a timed-out attempt is excused:
 *
 * 1. no stall of {@link HIDING_STALL_MS} or more since the attempt started or a peer last answered:
 *    not excused (the process was listening; the target did not answer);
 * 2. an attempt with its own limit is excused when the time it had with the process listening
 *    (`elapsedMs - stalledMs`, at least 0) is still below its limit, and given the rest of it;
 * 3. a timeout reported by the operation itself is excused when those stalls make up at least a
 *    quarter of the attempt's time.
 */
export function decideStallExcuse(f: StallFacts): StallExcuse {
  if (f.stalledMs < HIDING_STALL_MS) return NOT_EXCUSED;
  if (f.limitMs !== undefined) {
    // Overlapping looks can count more stall than the attempt lived: it listened 0 ms then.
    const listened = Math.max(0, f.elapsedMs - f.stalledMs);
    if (listened >= f.limitMs) return NOT_EXCUSED;
    return { excused: true, extendMs: Math.max(1, Math.ceil(f.limitMs - listened)) };
  }
  return f.stalledMs * 4 >= f.elapsedMs ? EXCUSED : NOT_EXCUSED;
}
