import { randomBytes } from 'node:crypto';
import { FailoverError, readOptions } from '@failover/core';
import type { FleetHealthOptions, FleetRouter, RedisFleetClient } from './fleet-types.js';
import { readClient, readPrefix } from './journal-options.js';

/** The options of {@link createFleetHealth} with their defaults. */
export interface ResolvedFleetOptions {
  readonly client: RedisFleetClient;
  readonly router: FleetRouter;
  readonly prefix: string;
  readonly instanceId: string;
  readonly timeoutMs: number;
  readonly probes: number;
  readonly probeLeaseMs: number;
  readonly probeLeaseRenewMs: number;
  readonly tripAfter: number;
  readonly tripAfterConnect: number;
  readonly failureWindowMs: number;
  readonly ejectResetTimeoutMs: number;
  readonly ejectionQuorum: number;
  readonly ejectionWindowMs: number;
  failuresKey(target: string): string;
  connectFailuresKey(target: string): string;
  ejectedKey(target: string): string;
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
  const r = readOptions(options);
  const client = readClient(r, true);
  const router = r.check('router', isRouter, 'a router from createFailover() (with trip, recover and on)', {
    required: true,
  });
  const prefix = readPrefix(r, DEFAULT_FLEET_PREFIX);
  const instanceId = r.string('instanceId') ?? randomBytes(8).toString('hex');
  const probes = r.int('probes', { min: 1, max: 100, default: 1 });
  const timeoutMs = r.ms('timeoutMs', { min: 1, max: 60_000, default: 250 });
  const probeLeaseMs = r.ms('probeLeaseMs', { min: 1, max: 3_600_000, default: 5000 });
  const probeLeaseRenewMs = r.ms('probeLeaseRenewMs', { min: 10, max: 600_000, default: 1000 });
  const tripAfter = r.int('tripAfter', { min: 0, max: 1_000_000, default: 5 });
  const tripAfterConnect = r.int('tripAfterConnect', { min: 0, max: 1_000_000, default: 2 });
  const failureWindowMs = r.ms('failureWindowMs', { min: 1, max: 3_600_000, default: 1000 });
  const ejectResetTimeoutMs = r.ms('ejectResetTimeoutMs', { min: 1, max: 3_600_000, default: 30_000 });
  const ejectionQuorum = r.int('ejectionQuorum', { min: 1, max: 1000, default: 2 });
  const ejectionWindowMs = r.ms('ejectionWindowMs', { min: 1, max: 3_600_000, default: 2000 });
  r.done();
  const tag = `{${prefix}}`;
  return {
    client,
    router,
    prefix,
    instanceId,
    timeoutMs,
    probes,
    probeLeaseMs,
    probeLeaseRenewMs,
    tripAfter,
    tripAfterConnect,
    failureWindowMs,
    ejectResetTimeoutMs,
    ejectionQuorum,
    ejectionWindowMs,
    failuresKey: (target) => `${tag}:failures:${target}`,
    // A hash (count, proof) since the count took resets before an answer; a name of its own, so an
    // instance of an earlier version (a string counter) never meets it.
    connectFailuresKey: (target) => `${tag}:connect-streak:${target}`,
    ejectedKey: (target) => `${tag}:ejected:${target}`,
    breakersKey: `${tag}:breakers`,
    channel: `${tag}:breaker-events`,
    leaseKeys: (target) => Array.from({ length: probes }, (_, i) => `${tag}:probe:${target}:${i}`),
  };
}

const isRouter = (v: unknown): v is FleetRouter =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as Partial<FleetRouter>).trip === 'function' &&
  typeof (v as Partial<FleetRouter>).recover === 'function' &&
  typeof (v as Partial<FleetRouter>).on === 'function';
