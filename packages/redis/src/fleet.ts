import { FleetCalls } from './fleet-calls.js';
import { classifyOpening, decideResync, pairs } from './fleet-decide.js';
import { ProbeLeases } from './fleet-leases.js';
import { CONNECT_FAILED, EJECTED, FAILED, OPEN_NOW, SUCCEEDED } from './fleet-lua.js';
import { parseFleetMessage } from './fleet-messages.js';
import { failureObserver } from './fleet-observer.js';
import { resolveFleetOptions } from './fleet-options.js';
import { FleetPublisher } from './fleet-publisher.js';
import { subscribeFleet } from './fleet-subscription.js';
import type {
  FleetCloseEvent,
  FleetHealth,
  FleetHealthOptions,
  FleetOpenEvent,
  FleetStatus,
} from './fleet-types.js';

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
  const me = o.instanceId;
  const calls = new FleetCalls(o);
  const leases = new ProbeLeases(o, calls);
  const publisher = new FleetPublisher(o, calls);
  /** Targets this instance's router has open because the fleet said so. */
  const remoteOpen = new Set<string>();
  /** Targets this instance's router has open (an `open` event and no `close` since). */
  const openHere = new Set<string>();
  let closed = false;
  let applied = 0;
  let lastMessageDelayMs: number | undefined;
  const connected = (): boolean => calls.ok && subscription.live();

  /** Applies one trip or recovery to the router; counts it. */
  const apply = (run: () => void): void => {
    try {
      run();
      applied++;
    } catch {
      // A target this instance's router does not have: not ours to trip.
    }
  };
  const tripHere = (target: string, reason: string): void => {
    remoteOpen.add(target);
    apply(() => o.router.trip(target, { reason }));
  };
  const recoverHere = (target: string): void => {
    remoteOpen.delete(target);
    apply(() => o.router.recover(target));
  };

  const onMessage = (raw: string): void => {
    const message = parseFleetMessage(raw);
    if (closed || message === undefined || message.from === me) return;
    // Read by the router's listeners of the trip or recovery below.
    if (message.at !== undefined) lastMessageDelayMs = Math.max(0, Date.now() - message.at);
    if (message.t === 'open') {
      tripHere(message.target, `fleet: ${message.reason ?? 'opened'} on ${message.from}`);
      leases.acquire(message.target, message.ms + o.probeLeaseMs);
    } else {
      leases.forget(message.target);
      recoverHere(message.target);
    }
  };

  /** After (re)subscribing: apply what is open fleet-wide now, recover what no longer is. */
  const resync = async (): Promise<void> => {
    const reply = await calls.run<unknown[]>(OPEN_NOW, [o.breakersKey], []);
    if (!Array.isArray(reply) || closed) return;
    const { trip, recover } = decideResync(pairs(reply), me, remoteOpen);
    for (const { target, from } of trip) tripHere(target, `fleet: open on ${from ?? 'another instance'}`);
    for (const target of recover) recoverHere(target);
  };

  const offOpen = o.router.on('open', (event: FleetOpenEvent) => {
    openHere.add(event.target);
    if (closed) return;
    leases.acquire(event.target, event.resetTimeoutMs + o.probeLeaseMs);
    const opening = classifyOpening(event, o.ejectionQuorum);
    if (opening === 'remote') return;
    remoteOpen.delete(event.target);
    if (opening === 'judgement') {
      // Published only once `ejectionQuorum` instances made the same judgement (EJECTED).
      void publisher.count(
        EJECTED,
        [o.ejectedKey(event.target), o.breakersKey],
        [me, String(o.ejectionWindowMs), String(o.ejectionQuorum)],
        event.target,
        `${event.reason} on ${o.ejectionQuorum} instances`,
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
    if (closed) return;
    leases.release(event.target);
    if (event.remote) return;
    remoteOpen.delete(event.target);
    publisher.publish({ t: 'close', target: event.target, from: me });
  });

  const subscription = subscribeFleet(o.client, o.channel, onMessage, resync);
  const ready = subscription.ready;

  /** Counts one failure of `target` on `key` fleet-wide; trips it here when the count says so. */
  const countFailure = (
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
        if (tripped && !closed) tripHere(target, `fleet: ${reason}`);
      });
  };
  const observer = failureObserver({
    failed(target, neverSent, unanswered) {
      if (closed || openHere.has(target)) return;
      const connect = o.tripAfterConnect > 0;
      // A refused connection, or one reset before any answer: the row CONNECT_FAILED counts.
      const gone = neverSent || unanswered;
      if (connect && gone) {
        countFailure(
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
        countFailure(target, keys, o.tripAfter, `${o.tripAfter} failures across the fleet`);
      } else if (ended.length > 0) void calls.run(SUCCEEDED, ended, []);
    },
    succeeded(target) {
      if (closed || (o.tripAfter === 0 && o.tripAfterConnect === 0)) return;
      void calls.run(SUCCEEDED, [o.failuresKey(target), o.connectFailuresKey(target)], []);
    },
  });

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
      instanceId: me,
      connected: connected(),
      published: publisher.published,
      applied,
      leases: leases.held(),
      lastMessageDelayMs,
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      offOpen();
      offClose();
      await leases.close();
      subscription.destroy();
    },
  };
}
