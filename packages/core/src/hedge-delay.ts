/**
 * How long a call waits for its running attempt before hedging: a pure function of latency
 * figures, table-tested in test/hedge-delay.test.ts.
 *
 * @internal
 */
import { HEDGE_AUTO } from './options.js';

/** What adaptive hedging knows of one target: its recorded attempts and their percentiles. */
export interface LatencyFacts {
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
}

/**
 * The wait before hedging for `'auto'`: the running target's tail latency (its p95, from
 * `minSamples` attempts on; `maxMs` before), sooner when another target the call could use is
 * known to answer much faster (three times its median, from `otherSamples` attempts on). While
 * such a target is unknown, as early as allowed when `explore()` (asked only then) says yes
 * (one call in `exploreEvery`), so that the router learns it. Rounded up to whole multiples of 5 ms (so that calls
 * share a few time-limit queues), within [`minMs`, `maxMs`] of {@link HEDGE_AUTO}.
 */
export function autoHedgeDelay(
  running: LatencyFacts,
  others: readonly LatencyFacts[],
  explore: () => boolean,
): number {
  let delay = running.samples >= HEDGE_AUTO.minSamples ? running.p95 : HEDGE_AUTO.maxMs;
  let unknown = false;
  for (const o of others) {
    if (o.samples < HEDGE_AUTO.otherSamples) unknown = true;
    else if (3 * o.p50 < delay) delay = 3 * o.p50;
  }
  if (unknown && explore()) delay = 0;
  return Math.min(HEDGE_AUTO.maxMs, Math.max(HEDGE_AUTO.minMs, Math.ceil(delay / 5) * 5));
}
