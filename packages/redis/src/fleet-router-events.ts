import { classifyOpening } from './fleet-decide.js';
import type { ProbeLeases } from './fleet-leases.js';
import { EJECTED } from './fleet-lua.js';
import type { ResolvedFleetOptions } from './fleet-options.js';
import type { FleetParts } from './fleet-parts.js';
import type { FleetCloseEvent, FleetOpenEvent } from './fleet-types.js';

/** What sharing the router's events needs besides the options and the shared parts. */
export interface RouterEventsDeps extends FleetParts {
  readonly leases: ProbeLeases;
}

/**
 * Shares this instance's own breaker openings and closings with the fleet: an opening by failed
 * calls is published at once, one by judgement (`Failover.eject`) or by calls that timed out once
 * `ejectionQuorum` instances made it within `ejectionWindowMs` (fleet-decide.ts), a closing after
 * a successful probe at once; every opening races for the probe leases. Returns the function that
 * stops listening.
 *
 * @internal
 */
export function shareRouterEvents(o: ResolvedFleetOptions, deps: RouterEventsDeps): () => void {
  const { leases, publisher, remote, openHere, isClosed } = deps;
  const me = o.instanceId;
  const offOpen = o.router.on('open', (event: FleetOpenEvent) => {
    openHere.add(event.target);
    if (isClosed()) return;
    leases.acquire(event.target, event.resetTimeoutMs + o.probeLeaseMs);
    const opening = classifyOpening(event, o.ejectionQuorum);
    if (opening === 'remote') return;
    remote.forget(event.target);
    if (opening === 'judgement') {
      // Published only once `ejectionQuorum` instances made the same judgement (EJECTED).
      void publisher.count(
        EJECTED,
        [o.ejectedKey(event.target), o.breakersKey],
        [me, String(o.ejectionWindowMs), String(o.ejectionQuorum)],
        event.target,
        `${event.reason ?? event.kind ?? 'timeout'} on ${o.ejectionQuorum} instances`,
      );
      return;
    }
    publisher.publish(
      {
        t: 'open',
        target: event.target,
        from: me,
        ms: event.resetTimeoutMs,
        ...(event.kind ? { reason: event.kind } : {}),
      },
      event.resetTimeoutMs,
    );
  });
  const offClose = o.router.on('close', (event: FleetCloseEvent) => {
    openHere.delete(event.target);
    if (isClosed()) return;
    leases.release(event.target);
    if (event.remote) return;
    remote.forget(event.target);
    publisher.publish({ t: 'close', target: event.target, from: me });
  });
  return () => {
    offOpen();
    offClose();
  };
}
