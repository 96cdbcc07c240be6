import { FleetCalls } from './fleet-calls.js';
import { fleetFailureCounts } from './fleet-counts.js';
import { ProbeLeases } from './fleet-leases.js';
import { failureObserver } from './fleet-observer.js';
import { resolveFleetOptions } from './fleet-options.js';
import { FleetPublisher } from './fleet-publisher.js';
import { RemoteBreakers } from './fleet-remote.js';
import { shareRouterEvents } from './fleet-router-events.js';
import { subscribeFleet } from './fleet-subscription.js';
import type { FleetHealth, FleetHealthOptions, FleetStatus } from './fleet-types.js';

/**
 * Shares a router's breaker state with every instance of the application through Redis.
 *
 * - When this instance's breaker for a target opens (its own calls failed), it publishes the
 *   opening; every other instance's router trips that target's breaker (`trip`, `open` event
 *   with `remote: true`) as soon as the message arrives, so the fleet stops sending calls to a
 *   dead cloud after the first instance saw it die.
 * - An opening by judgement (`Failover.eject`, such as the multi-cloud store's unresponsive-target
 *   rule: no call failed, this process saw the target silent while its peers answered) is shared
 *   only when `ejectionQuorum` (default 2) instances made it within `ejectionWindowMs`: one
 *   process starved of CPU must not make the whole fleet skip a healthy cloud.
 * - Half-open probes are leased: at each opening the instances race for `probes` (default 1)
 *   leases in Redis; only a holder's {@link FleetHealth.probeGate} lets its probe through, the
 *   others stay open one more period. A lease expires (`probeLeaseMs` after the reset period) when
 *   its holder died.
 * - When a probe succeeds the breaker closes and the instance publishes it: the others `recover`.
 * - A subscriber that reconnects reads which targets are open fleet-wide and applies that.
 *
 * `client` is a node-redis client or an ioredis one (see `IoredisClient`); the subscriber is a
 * second connection made with `client.duplicate()`.
 *
 * Redis being down, slow or hung never reaches the application: every Redis call has its own
 * timeout (`timeoutMs`, default 250 ms), failures are swallowed and counted, and while Redis is
 * unreachable the probe gate lets every probe through: each instance behaves as it would without
 * a fleet.
 *
 * @example
 * import { createFailover } from '@failover/core';
 * import { createFleetHealth, type FleetHealth } from '@failover/redis';
 * import { createClient } from 'redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * let fleet: FleetHealth | undefined;
 * const router = createFailover({
 *   targets: [{ name: 'aws', target: 'aws' }, { name: 'gcp', target: 'gcp' }],
 *   breaker: { probeGate: (target) => fleet?.probeGate(target) ?? true },
 * });
 * fleet = createFleetHealth({ client, router, prefix: 'photos-app:fleet' });
 */
export function createFleetHealth(options: FleetHealthOptions): FleetHealth {
  const o = resolveFleetOptions(options);
  const calls = new FleetCalls(o);
  const leases = new ProbeLeases(o, calls);
  const publisher = new FleetPublisher(o, calls);
  const remote = new RemoteBreakers(o, leases);
  /** Targets this instance's router has open (an `open` event and no `close` since). */
  const openHere = new Set<string>();
  let closed = false;
  const isClosed = (): boolean => closed;
  const stopSharing = shareRouterEvents(o, { leases, publisher, remote, openHere, isClosed });
  const subscription = subscribeFleet(o.client, o.channel, remote.onMessage, () => remote.resync(calls));
  const ready = subscription.ready;
  const connected = (): boolean => calls.ok && subscription.live();
  const observer = failureObserver(fleetFailureCounts(o, { calls, publisher, remote, openHere, isClosed }));

  const probeGate = (target: string): boolean => {
    try {
      if (closed || !connected()) return true;
      // No trusted lease known: one is asked for, and the probe waits one more period.
      return leases.mayProbe(target);
    } catch {
      return true;
    }
  };

  return {
    probeGate,
    observer,
    ready,
    idle: async () => {
      await ready;
      await calls.idle();
    },
    status: (): FleetStatus => ({
      instanceId: o.instanceId,
      connected: connected(),
      published: publisher.published,
      applied: remote.applied,
      leases: leases.held(),
      lastMessageDelayMs: remote.lastMessageDelayMs,
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      remote.close();
      stopSharing();
      await leases.close();
      subscription.destroy();
    },
  };
}
