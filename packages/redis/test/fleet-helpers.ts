import { createFailover, type Failover, type FailoverEvents } from '@failover/core';
import { createFleetHealth, type FleetHealth, type FleetHealthOptions } from '../src/index.js';
import { type AnyClient, type ClientKind, clientOf, later } from './redis-helpers.js';

/** One app instance: a router over two targets and its fleet connection. */
export interface Instance {
  readonly router: Failover<{ name: string }>;
  readonly fleet: FleetHealth;
  /** Every breaker event the router emitted. */
  readonly events: { event: 'open' | 'close'; payload: FailoverEvents['open'] | FailoverEvents['close'] }[];
  /** Calls that reached each target. */
  readonly reached: Map<string, number>;
  /** The instance's Redis connection (the fleet's commands go on it, in order). */
  readonly client: AnyClient;
  /** The targets that fail (every call to them throws ECONNREFUSED). */
  readonly down: Set<string>;
  /** The targets that answer every call with a 503 (an availability failure that was sent). */
  readonly busy: Set<string>;
  /** The targets whose connections are reset before any answer (ECONNRESET). */
  readonly reset: Set<string>;
  /** The targets whose every call times out (ETIMEDOUT: no answer). */
  readonly silent: Set<string>;
  /** One call through the router. */
  call(): Promise<string>;
}

/** Options of {@link instance}: the fleet's, the router's breaker settings, and the client kind. */
export type InstanceOptions = Partial<FleetHealthOptions> & {
  resetTimeoutMs?: number;
  consecutiveFailures?: number;
  /** The Redis client the instance uses. Default node-redis. */
  kind?: ClientKind;
};

/** Starts an instance on its own Redis connection. */
export async function instance(
  url: string,
  prefix: string,
  options: InstanceOptions = {},
): Promise<Instance> {
  const c = await clientOf(options.kind ?? 'node-redis', url);
  let fleet: FleetHealth | undefined;
  const router = createFailover({
    targets: [{ name: 'aws' }, { name: 'gcp' }],
    breaker: {
      consecutiveFailures: options.consecutiveFailures ?? 2,
      // The down targets refuse connections: the test's threshold applies to those too.
      consecutiveConnectFailures: options.consecutiveFailures ?? 2,
      volumeThreshold: 1000,
      // Both targets may go down in a test and each must open on its own calls (fleet messages
      // are what is tested): no maximum ejection share here.
      keepLastTarget: false,
      resetTimeoutMs: options.resetTimeoutMs ?? 60_000,
      probeGate: (target) => fleet?.probeGate(target) ?? true,
    },
    retry: { maxAttempts: 1 },
    hedge: false,
    observer: { onCallStart: (info) => fleet?.observer.onCallStart(info) },
  });
  const { resetTimeoutMs: _, consecutiveFailures: __, kind: ___, ...fleetOptions } = options;
  // A generous timeout: on a loaded machine a Redis call may take long; tests of slow Redis pass their own.
  // The fleet-wide count of connect failures only where a test asks for it (the down targets
  // refuse connections, and most tests count failures of any kind with `tripAfter`).
  fleet = createFleetHealth({
    client: c,
    router,
    prefix,
    timeoutMs: 5000,
    tripAfterConnect: 0,
    ...fleetOptions,
  });
  const f = fleet;
  later(() => router.close());
  later(() => f.close());
  const events: Instance['events'] = [];
  router.on('open', (payload) => events.push({ event: 'open', payload }));
  router.on('close', (payload) => events.push({ event: 'close', payload }));
  const reached = new Map<string, number>();
  const down = new Set<string>();
  const busy = new Set<string>();
  const reset = new Set<string>();
  const silent = new Set<string>();
  await fleet.ready;
  return {
    router,
    fleet,
    client: c,
    events,
    reached,
    down,
    busy,
    reset,
    silent,
    call: () =>
      router.run(async (target) => {
        reached.set(target.name, (reached.get(target.name) ?? 0) + 1);
        if (down.has(target.name)) {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
        }
        if (busy.has(target.name)) throw Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
        if (reset.has(target.name)) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        if (silent.has(target.name))
          throw Object.assign(new Error('socket timed out'), { code: 'ETIMEDOUT' });
        return `ok:${target.name}`;
      }),
  };
}
