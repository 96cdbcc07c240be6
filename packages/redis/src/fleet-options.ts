import { randomBytes } from 'node:crypto';
import { FailoverError, InvalidOptionError, integerOption } from '@failover/core';
import type { FleetHealthOptions, FleetRouter, RedisFleetClient } from './fleet-types.js';
import { checkClient, prefixOption } from './journal-options.js';

/** The options of {@link createFleetHealth} with their defaults. */
export interface ResolvedFleetOptions {
  readonly client: RedisFleetClient;
  readonly router: FleetRouter;
  readonly prefix: string;
  readonly instanceId: string;
  readonly timeoutMs: number;
  readonly probes: number;
  readonly probeLeaseMs: number;
  readonly tripAfter: number;
  readonly failureWindowMs: number;
  readonly ejectResetTimeoutMs: number;
  failuresKey(target: string): string;
  readonly breakersKey: string;
  readonly channel: string;
  leaseKeys(target: string): string[];
}

/** Default of {@link FleetHealthOptions.prefix}. */
export const DEFAULT_FLEET_PREFIX = 'failover:fleet';

/** An error of the fleet's Redis calls (never thrown to the application: it falls back instead). */
export class FleetError extends FailoverError {}

/** Checks the options (an `InvalidOptionError` names the option) and applies defaults. */
export function resolveFleetOptions(options: FleetHealthOptions): ResolvedFleetOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'must be an object with a client and a router');
  }
  const client = checkClient(options.client, 'client') as RedisFleetClient;
  if (typeof (client as { duplicate?: unknown }).duplicate !== 'function') {
    throw new InvalidOptionError('client', 'must be a node-redis client (it needs duplicate() for pub/sub)');
  }
  const router = options.router as Partial<FleetRouter> | undefined;
  if (
    router === null ||
    typeof router !== 'object' ||
    typeof router.trip !== 'function' ||
    typeof router.recover !== 'function' ||
    typeof router.on !== 'function'
  ) {
    throw new InvalidOptionError(
      'router',
      'must be a router from createFailover() (with trip, recover and on)',
    );
  }
  const prefix = prefixOption(options.prefix, 'prefix', DEFAULT_FLEET_PREFIX);
  if (
    options.instanceId !== undefined &&
    (typeof options.instanceId !== 'string' || options.instanceId === '')
  ) {
    throw new InvalidOptionError('instanceId', 'must be a non-empty string');
  }
  const probes = integerOption('probes', options.probes, 1, 100, 1);
  const tag = `{${prefix}}`;
  return {
    client,
    router: options.router,
    prefix,
    instanceId: options.instanceId ?? randomBytes(8).toString('hex'),
    timeoutMs: integerOption('timeoutMs', options.timeoutMs, 1, 60_000, 250),
    probes,
    probeLeaseMs: integerOption('probeLeaseMs', options.probeLeaseMs, 1, 3_600_000, 5000),
    tripAfter: integerOption('tripAfter', options.tripAfter, 0, 1_000_000, 5),
    failureWindowMs: integerOption('failureWindowMs', options.failureWindowMs, 1, 3_600_000, 1000),
    ejectResetTimeoutMs: integerOption(
      'ejectResetTimeoutMs',
      options.ejectResetTimeoutMs,
      1,
      3_600_000,
      30_000,
    ),
    failuresKey: (target) => `${tag}:failures:${target}`,
    breakersKey: `${tag}:breakers`,
    channel: `${tag}:breaker-events`,
    leaseKeys: (target) => Array.from({ length: probes }, (_, i) => `${tag}:probe:${target}:${i}`),
  };
}
