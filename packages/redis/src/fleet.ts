import { redisCaller } from './client.js';
import { ACQUIRE, CLOSED, FAILED, OPEN_NOW, OPENED, RELEASE, SUCCEEDED } from './fleet-lua.js';
import { type FleetMessage, parseFleetMessage } from './fleet-messages.js';
import { failureObserver } from './fleet-observer.js';
import { FleetError, resolveFleetOptions } from './fleet-options.js';
import type {
  FleetCloseEvent,
  FleetHealth,
  FleetHealthOptions,
  FleetOpenEvent,
  FleetStatus,
  RedisSubscriber,
} from './fleet-types.js';
import { ScriptRunner } from './scripts.js';

interface Lease {
  readonly owner: boolean;
  /** Local clock (ms) after which the lease is no longer trusted. */
  readonly until: number;
}

/**
 * Shares a router's breaker state with every instance of the application through Redis.
 *
 * - When this instance's breaker for a target opens (its own calls failed), it publishes the
 *   opening; every other instance's router trips that target's breaker (`trip`, `open` event
 *   with `remote: true`) as soon as the message arrives, so the fleet stops sending calls to a
 *   dead cloud after the first instance saw it die.
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
  const redis = redisCaller(
    o.client,
    o.timeoutMs,
    'Fleet',
    (kind, message, cause) => new FleetError(kind, message, { cause }),
  );
  const scripts = new ScriptRunner(redis);
  const leases = new Map<string, Lease>();
  const acquiring = new Set<string>();
  /** Targets this instance's router has open because the fleet said so. */
  const remoteOpen = new Set<string>();
  /** Targets this instance's router has open (an `open` event and no `close` since). */
  const openHere = new Set<string>();
  let subscribed = false;
  let started = false;
  let redisOk = true;
  let closed = false;
  let published = 0;
  let applied = 0;
  let lastMessageDelayMs: number | undefined;

  const inFlight = new Set<Promise<unknown>>();
  /** Runs a Redis call; failures only mark Redis as unreachable. */
  const attempt = <T>(run: () => Promise<T>): Promise<T | undefined> => {
    const call = (async () => {
      try {
        const value = await run();
        redisOk = true;
        return value;
      } catch {
        redisOk = false;
        return undefined;
      }
    })();
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    return call;
  };
  const connected = (): boolean => redisOk && subscribed;

  const acquire = (target: string, ttlMs: number): void => {
    if (closed || acquiring.has(target)) return;
    acquiring.add(target);
    const asked = Date.now();
    void attempt(() => scripts.run<number>(ACQUIRE, o.leaseKeys(target), [me, String(ttlMs)])).then(
      (slot) => {
        acquiring.delete(target);
        if (slot === undefined) return;
        // Trust the lease a little less long than Redis keeps it.
        leases.set(target, {
          owner: Number(slot) > 0,
          until: asked + ttlMs - Math.min(o.timeoutMs, ttlMs / 2),
        });
      },
    );
  };

  const release = (target: string): void => {
    const lease = leases.get(target);
    leases.delete(target);
    if (lease?.owner) void attempt(() => scripts.run(RELEASE, o.leaseKeys(target), [me]));
  };

  const publish = (message: FleetMessage, ttlMs?: number): void => {
    const raw = JSON.stringify(message);
    void attempt(() =>
      message.t === 'open'
        ? scripts.run(
            OPENED,
            [o.breakersKey],
            [message.target, JSON.stringify({ from: me }), String(ttlMs ?? 0), o.channel, raw],
          )
        : scripts.run(CLOSED, [o.breakersKey], [message.target, o.channel, raw]),
    ).then((done) => {
      if (done !== undefined) published++;
    });
  };

  const apply = (run: () => void): void => {
    try {
      run();
      applied++;
    } catch {
      // A target this instance's router does not have: not ours to trip.
    }
  };

  const onMessage = (raw: string): void => {
    const message = parseFleetMessage(raw);
    if (closed || message === undefined || message.from === me) return;
    // Read by the router's listeners of the trip or recovery below.
    if (message.at !== undefined) lastMessageDelayMs = Math.max(0, Date.now() - message.at);
    if (message.t === 'open') {
      remoteOpen.add(message.target);
      apply(() =>
        o.router.trip(message.target, { reason: `fleet: ${message.reason ?? 'opened'} on ${message.from}` }),
      );
      acquire(message.target, message.ms + o.probeLeaseMs);
    } else {
      remoteOpen.delete(message.target);
      leases.delete(message.target);
      apply(() => o.router.recover(message.target));
    }
  };

  /** After (re)subscribing: apply what is open fleet-wide now, recover what no longer is. */
  const resync = async (): Promise<void> => {
    const reply = await attempt(() => scripts.run<unknown[]>(OPEN_NOW, [o.breakersKey], []));
    if (reply === undefined || closed) return;
    const open = new Set<string>();
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const target = String(reply[i]);
      const from = (JSON.parse(String(reply[i + 1])) as { from?: string }).from;
      if (from === me) continue;
      open.add(target);
      if (!remoteOpen.has(target)) {
        remoteOpen.add(target);
        apply(() => o.router.trip(target, { reason: `fleet: open on ${from ?? 'another instance'}` }));
      }
    }
    for (const target of [...remoteOpen]) {
      if (open.has(target)) continue;
      remoteOpen.delete(target);
      apply(() => o.router.recover(target));
    }
  };

  const offOpen = o.router.on('open', (event: FleetOpenEvent) => {
    openHere.add(event.target);
    if (closed) return;
    acquire(event.target, event.resetTimeoutMs + o.probeLeaseMs);
    if (event.remote) return;
    remoteOpen.delete(event.target);
    publish(
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
    release(event.target);
    if (event.remote) return;
    remoteOpen.delete(event.target);
    publish({ t: 'close', target: event.target, from: me });
  });

  let subscriber: RedisSubscriber | undefined;
  const ready = (async () => {
    try {
      subscriber = o.client.duplicate();
      // Without an 'error' listener node-redis would crash the process on a lost connection.
      subscriber.on('error', () => {
        subscribed = false;
      });
      subscriber.on('end', () => {
        subscribed = false;
      });
      subscriber.on('ready', () => {
        // Reconnected: node-redis subscribes again by itself; catch up on what was missed.
        if (started && !subscribed && !closed) {
          subscribed = true;
          void resync();
        }
      });
      await subscriber.connect();
      await subscriber.subscribe(o.channel, (message) => onMessage(message));
      subscribed = true;
      started = true;
      if (closed) subscriber.destroy();
      await resync();
    } catch {
      subscribed = false;
    }
  })();

  const observer = failureObserver({
    failed(target) {
      if (closed || o.tripAfter === 0 || openHere.has(target)) return;
      const raw = JSON.stringify({
        t: 'open',
        target,
        from: me,
        ms: o.ejectResetTimeoutMs,
        reason: `${o.tripAfter} failures across the fleet`,
      });
      void attempt(() =>
        scripts.run<number>(
          FAILED,
          [o.failuresKey(target), o.breakersKey],
          [
            String(o.tripAfter),
            String(o.failureWindowMs),
            target,
            JSON.stringify({ from: me }),
            String(o.ejectResetTimeoutMs),
            o.channel,
            raw,
            String(Date.now()),
          ],
        ),
      ).then((tripped) => {
        if (Number(tripped) !== 1 || closed) return;
        published++;
        remoteOpen.add(target);
        apply(() => o.router.trip(target, { reason: `fleet: ${o.tripAfter} failures across the fleet` }));
      });
    },
    succeeded(target) {
      if (closed || o.tripAfter === 0) return;
      void attempt(() => scripts.run(SUCCEEDED, [o.failuresKey(target)], []));
    },
  });

  const probeGate = (target: string): boolean => {
    try {
      if (closed || !connected()) return true;
      const lease = leases.get(target);
      if (lease !== undefined && lease.until > Date.now()) return lease.owner;
      // No lease known (or it ran out): ask for one; the probe waits one more period.
      acquire(target, o.probeLeaseMs);
      return false;
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
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    status: (): FleetStatus => ({
      instanceId: me,
      connected: connected(),
      published,
      applied,
      leases: [...leases].filter(([, l]) => l.owner && l.until > Date.now()).map(([t]) => t),
      lastMessageDelayMs,
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      offOpen();
      offClose();
      const owned = [...leases].filter(([, l]) => l.owner).map(([t]) => t);
      await Promise.all(owned.map((t) => attempt(() => scripts.run(RELEASE, o.leaseKeys(t), [me]))));
      leases.clear();
      subscriber?.destroy();
    },
  };
}
