import type { FleetCalls } from './fleet-calls.js';
import { CONNECT_FAILED, FAILED, SUCCEEDED } from './fleet-lua.js';
import type { FailureSink } from './fleet-observer.js';
import type { ResolvedFleetOptions } from './fleet-options.js';
import type { FleetParts } from './fleet-parts.js';

/** What the fleet's failure counts need besides the options and the shared parts. */
export interface FleetCountsDeps extends FleetParts {
  readonly calls: FleetCalls;
}

/**
 * Counts this instance's availability failures of each target fleet-wide (`tripAfter` failures in
 * a row, and `tripAfterConnect` failures that prove the target unreachable, within
 * `failureWindowMs`), and trips the target here as soon as a count says the fleet opened it; a
 * success ends both rows.
 *
 * @internal
 */
export function fleetFailureCounts(o: ResolvedFleetOptions, deps: FleetCountsDeps): FailureSink {
  const { calls, publisher, remote, openHere, isClosed } = deps;
  /** Counts one failure of `target` on `keys` fleet-wide; trips it here when the count says so. */
  const count = (
    target: string,
    keys: string[],
    threshold: number,
    reason: string,
    script = FAILED,
    tail: string[] = [],
  ): void => {
    void publisher
      .count(script, keys, [String(threshold), String(o.failureWindowMs)], target, reason, tail)
      .then((tripped) => {
        if (tripped && !isClosed()) remote.trip(target, `fleet: ${reason}`);
      });
  };
  return {
    failed(target, neverSent, unanswered) {
      if (isClosed() || openHere.has(target)) return;
      const connect = o.tripAfterConnect > 0;
      // A refused connection, or one reset before any answer: the row CONNECT_FAILED counts.
      const gone = neverSent || unanswered;
      if (connect && gone) {
        count(
          target,
          [o.connectFailuresKey(target), o.breakersKey],
          o.tripAfterConnect,
          `${o.tripAfterConnect} connect failures across the fleet`,
          CONNECT_FAILED,
          [neverSent ? '1' : '0'],
        );
      }
      // Any other failure ends that row.
      const ended = connect && !gone ? [o.connectFailuresKey(target)] : [];
      if (o.tripAfter > 0) {
        const keys = [o.failuresKey(target), o.breakersKey, ...ended];
        count(target, keys, o.tripAfter, `${o.tripAfter} failures across the fleet`);
      } else if (ended.length > 0) void calls.run(SUCCEEDED, ended, []);
    },
    succeeded(target) {
      if (isClosed() || (o.tripAfter === 0 && o.tripAfterConnect === 0)) return;
      void calls.run(SUCCEEDED, [o.failuresKey(target), o.connectFailuresKey(target)], []);
    },
  };
}
