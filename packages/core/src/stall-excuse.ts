/**
 * Whether an attempt that timed out is excused as this process's own doing (its event loop was
 * blocked): a pure decision (no clock, no I/O), table-tested in test/stall-excuse.test.ts.
 * `StallMonitor` gathers the facts (stall.ts). Two cases:
 *
 * - **The router's own limit** (`attemptTimeoutMs`) is a budget of this process's attention: an
 *   attempt is owed that much time with the process running. Every stall since it started is
 *   given back (the attempt counts how often: at most three times), whatever the peers did.
 * - **A timeout the operation reported itself** (an SDK's or a cloud store's own timer) is final:
 *   it is excused (not counted against the target, and an idempotent call runs it again) only when
 *   an answer may be waiting unread. An answer that arrives while the process runs is read within
 *   one turn of its event loop, and what makes this discriminating is **peers' answers**: when
 *   another target answered a call during the attempt, this process was reading its sockets then,
 *   and any answer this target had sent by then would have been read too. From that moment on,
 *   only a stall long enough to hide an answer ({@link HIDING_STALL_MS} or more) can excuse it; the
 *   small lags of a loaded machine (every timer tick tens of ms late) delay reading an answer by as
 *   much and never explain an attempt that waited seconds. So a target that stays silent while its
 *   peers answer is counted against, whatever the load (summing those small lags used to excuse a
 *   blackholed cloud's timeouts forever under sustained CPU load). When no peer answered during the
 *   attempt, the process cannot tell its own starvation (or the whole machine's) from the target's
 *   silence, and every stall since the attempt started counts, as before.
 *
 * @internal
 */

/**
 * Once a peer answered, only stalls at least this long count: shorter ones delay reading an answer
 * by less than this, which does not explain an attempt that waited much longer.
 */
export const HIDING_STALL_MS = 100;

/** Without a peer's answer, less stall than this in all does not excuse a reported timeout. */
export const MIN_EXCUSE_MS = 80;

/** Less stall than this in all is scheduling noise: an attempt's own limit is not extended. */
export const MIN_EXTENSION_MS = 20;

/** What is known when an attempt timed out. */
export interface StallFacts {
  /** Time from the attempt's start to now, ms. */
  readonly elapsedMs: number;
  /** Time this process was stalled since the attempt started (every stall the monitor saw), ms. */
  readonly stalledMs: number;
  /**
   * When another target answered during the attempt: the time this process was stalled since the
   * last such answer, counting only stalls of at least {@link HIDING_STALL_MS}, ms. `undefined`
   * when no peer answered.
   */
  readonly stalledSincePeerMs: number | undefined;
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
 * 1. an attempt with its own limit is extended when it had less than that limit with the process
 *    running (`elapsedMs` minus every stall since it started, at least 0; less than
 *    {@link MIN_EXTENSION_MS} of stall in all is noise), by the rest of its limit;
 * 2. a timeout reported by the operation itself is excused when the stalls that can have hidden an
 *    answer make up at least a quarter of the attempt's time: those since a peer last answered, of
 *    {@link HIDING_STALL_MS} or more each (at least {@link HIDING_STALL_MS} in all); when no peer
 *    answered, every stall since the attempt started (at least {@link MIN_EXCUSE_MS} in all).
 */
export function decideStallExcuse(f: StallFacts): StallExcuse {
  if (f.limitMs !== undefined) {
    if (f.stalledMs < MIN_EXTENSION_MS) return NOT_EXCUSED;
    // Overlapping looks can count more stall than the attempt lived: it had 0 ms then.
    const listened = Math.max(0, f.elapsedMs - f.stalledMs);
    if (listened >= f.limitMs) return NOT_EXCUSED;
    return { excused: true, extendMs: Math.max(1, Math.ceil(f.limitMs - listened)) };
  }
  const peer = f.stalledSincePeerMs !== undefined;
  const stalled = peer ? (f.stalledSincePeerMs as number) : f.stalledMs;
  if (stalled < (peer ? HIDING_STALL_MS : MIN_EXCUSE_MS)) return NOT_EXCUSED;
  return stalled * 4 >= f.elapsedMs ? EXCUSED : NOT_EXCUSED;
}
