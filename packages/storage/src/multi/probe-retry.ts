/**
 * A repair pass right after a target's breaker turned half-open can find its one probe slot taken
 * by another call (a read, an epoch check): every pair of that target is skipped, although the
 * target is most likely back. Such a pass asks for another one soon, a bounded number of times.
 */

/** The delay before the first pass asked for after a pass blocked by a busy probe (ms); doubles each time. */
export const PROBE_RETRY_BASE_MS = 100;
/** How many passes in a row a busy probe may ask for (100 + 200 + 400 + 800 + 1600 ms: about 3 s). */
export const PROBE_RETRIES = 5;

/** What a finished pass says about its skipped pairs. */
export interface PassSkips {
  /** (entry, target) pairs the pass looked at. */
  readonly attempted: number;
  /** Pairs skipped (target unavailable, key leased elsewhere, pass aborted). */
  readonly skipped: number;
  /** Of those, pairs skipped because their target's breaker was half-open with its probe in flight. */
  readonly probeBusy: number;
  /** The pass was aborted by its caller. */
  readonly aborted: boolean;
}

/**
 * Whether to run another pass soon after `pass` (pure; table-tested), given how many passes in a
 * row already asked for one (`retries`): only when every pair was skipped and some because a probe
 * was busy, at most {@link PROBE_RETRIES} times in a row, after {@link PROBE_RETRY_BASE_MS} doubled
 * each time. `retries` is what to remember for the next pass: back to 0 after a pass that was not
 * blocked by a probe, kept at the bound while passes stay blocked (no more retries until one runs).
 */
export function probeRetry(
  pass: PassSkips,
  retries: number,
): { readonly delayMs: number | undefined; readonly retries: number } {
  const blocked =
    !pass.aborted && pass.attempted > 0 && pass.skipped === pass.attempted && pass.probeBusy > 0;
  if (!blocked) return { delayMs: undefined, retries: 0 };
  if (retries >= PROBE_RETRIES) return { delayMs: undefined, retries };
  return { delayMs: PROBE_RETRY_BASE_MS * 2 ** retries, retries: retries + 1 };
}
