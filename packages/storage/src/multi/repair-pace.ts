/**
 * How many copies a repair pass runs at once: additive increase, multiplicative decrease (TCP's
 * congestion control, applied to a cloud that just came back). A pass starts at
 * `repair.concurrency` and, while copies succeed about as fast as the fastest ones did, takes one
 * more at each success until its first slowdown (slow start), then one more per round of `limit`
 * successes, up to `repair.maxConcurrency`. A failed copy, or one that took much longer than the
 * pass's fast copies (the cloud or the path to it is saturated), halves it (at most once per round,
 * so the copies already in flight when the cloud slowed do not halve it again and again), never
 * below `repair.concurrency`. So a backlog of hours drains as fast as the cloud takes it, and a
 * cloud that struggles gets fewer copies, not more.
 *
 * Pure: the pass keeps the state and applies each copy's outcome with {@link nextPace}.
 */
export interface RepairPace {
  /** Copies that may run at once now. */
  readonly limit: number;
  /** Until the first slowdown or failure: one more per success (then one more per round). */
  readonly slowStart: boolean;
  /** Successes since the limit last grew (congestion avoidance: it grows at `limit`). */
  readonly credit: number;
  /** Copies ended since the limit was last cut (a cut waits for `limit` of them). */
  readonly sinceCut: number;
  /** The duration of the pass's fast copies (ms): the fastest, drifting up slowly. */
  readonly baselineMs: number | undefined;
}

/** What one copy did. */
export interface CopyOutcome {
  /** It settled its pair (copied, found in place, deferred, a conflict or lost); false: it failed. */
  readonly ok: boolean;
  /** How long it took (ms). */
  readonly ms: number;
}

/** A copy slower than this many times the pass's fast copies (plus {@link SLOW_SLACK_MS}) is slow. */
export const SLOW_FACTOR = 4;
/** Absolute slack for "slow" (ms): a busy event loop's jitter on copies of a few milliseconds. */
export const SLOW_SLACK_MS = 50;
/** How fast the baseline drifts up towards slower copies (a fraction of the difference). */
const BASELINE_DRIFT = 1 / 32;

/** The pace a pass starts with. */
export function startPace(floor: number): RepairPace {
  return { limit: floor, slowStart: true, credit: 0, sinceCut: floor, baselineMs: undefined };
}

/** The pace after one copy's outcome, between `floor` and `ceiling`. */
export function nextPace(pace: RepairPace, outcome: CopyOutcome, floor: number, ceiling: number): RepairPace {
  const sinceCut = pace.sinceCut + 1;
  const slow =
    outcome.ok && pace.baselineMs !== undefined && outcome.ms > pace.baselineMs * SLOW_FACTOR + SLOW_SLACK_MS;
  // Only copies that were neither failed nor slow move the baseline (a saturated cloud's slow
  // copies would otherwise raise the bar until they no longer count as slow).
  const baselineMs =
    !outcome.ok || slow
      ? pace.baselineMs
      : pace.baselineMs === undefined || outcome.ms < pace.baselineMs
        ? outcome.ms
        : pace.baselineMs + (outcome.ms - pace.baselineMs) * BASELINE_DRIFT;
  if (!outcome.ok || slow) {
    // One cut per round: the copies in flight when it happened report late, and count for it.
    if (sinceCut < pace.limit) return { ...pace, slowStart: false, sinceCut, baselineMs };
    return {
      limit: Math.max(floor, Math.floor(pace.limit / 2)),
      slowStart: false,
      credit: 0,
      sinceCut: 0,
      baselineMs,
    };
  }
  if (pace.slowStart) {
    return { ...pace, limit: Math.min(ceiling, pace.limit + 1), sinceCut, baselineMs };
  }
  const credit = pace.credit + 1;
  if (credit < pace.limit) return { ...pace, credit, sinceCut, baselineMs };
  return { ...pace, limit: Math.min(ceiling, pace.limit + 1), credit: 0, sinceCut, baselineMs };
}
