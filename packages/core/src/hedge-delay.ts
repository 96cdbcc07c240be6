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
 * `minSamples` attempts on; before that, see {@link coldDelay}), sooner when another target the
 * call could use is known to answer much faster (three times its median, from `otherSamples` attempts on) and the
 * running target is slow as a rule, not only in its tail (its own median above that; or it is
 * not known yet). A target whose median is within 3x of another's is hedged after its p95 only:
 * about 5 % of its calls, rather than every call slower than 3x the other's median (the other's
 * median may come from its puts and its won races, not from reads like this call's). While
 * such a target is unknown, as early as allowed when `explore(samples)` (asked only then, with the
 * unknown targets' sample count) says yes (see `ExplorePacer`), so that the router learns it. Rounded up to whole multiples of 5 ms (so that calls
 * share a few time-limit queues), within [`minMs`, `maxMs`] of {@link HEDGE_AUTO}.
 */
export function autoHedgeDelay(
  running: LatencyFacts,
  others: readonly LatencyFacts[],
  explore: (samples: number) => boolean,
): number {
  const ownKnown = running.samples >= HEDGE_AUTO.minSamples;
  let delay = ownKnown ? running.p95 : coldDelay(running);
  let unknown = false;
  let unknownSamples = 0;
  for (const o of others) {
    if (o.samples < HEDGE_AUTO.otherSamples) {
      unknown = true;
      unknownSamples += o.samples;
    } else {
      const bar = HEDGE_AUTO.slowerFactor * o.p50;
      if (bar < delay && (!ownKnown || slowerAsARule(running, o))) delay = bar;
    }
  }
  if (unknown && explore(unknownSamples)) delay = 0;
  return Math.min(HEDGE_AUTO.maxMs, Math.max(HEDGE_AUTO.minMs, Math.ceil(delay / 5) * 5));
}

/**
 * The wait for a target with fewer than `minSamples` latencies: `coldMs` while it has answered
 * nothing (a process just started, maybe towards a cloud that went silent: the first calls must not
 * wait `maxMs` each), else twice the slowest of its few answers, within [`coldMs`, `maxMs`].
 */
function coldDelay(running: LatencyFacts): number {
  if (running.samples === 0) return HEDGE_AUTO.coldMs;
  return Math.min(HEDGE_AUTO.maxMs, Math.max(HEDGE_AUTO.coldMs, 2 * running.p95));
}

/**
 * `a` is slow as a rule against `b`: its median above `HEDGE_AUTO.slowerFactor` times `b`'s. The
 * one rule behind hedging early for `b` and demoting `a` by the races it loses to `b`.
 */
export function slowerAsARule(a: LatencyFacts, b: LatencyFacts): boolean {
  return a.p50 > HEDGE_AUTO.slowerFactor * b.p50;
}
