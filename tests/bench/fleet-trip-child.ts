/**
 * One app instance of `pnpm bench fleet/stores` in a process of its own (for the trip propagation):
 * for each trip the parent sends a fresh prefix; the child opens a fleet store on it, says
 * `ready`, and reports the wall-clock time (ms, sub-millisecond) at which its store's aws breaker
 * opened on the fleet's word.
 */
import { performance } from 'node:perf_hooks';
import { installFaultDns } from '@failover/testkit';
import {
  type CloudEndpoints,
  type FleetInstance,
  openFleetInstance,
  storesOf,
} from '../multi-cloud/fleet-instance.js';

/** Parent to child. */
export type ToTripChild =
  | {
      readonly type: 'open';
      readonly prefix: string;
      readonly id: string;
      readonly redisUrl: string;
      readonly tmp: string;
      readonly endpoints: CloudEndpoints;
    }
  | { readonly type: 'close' };

/** Child to parent. */
export type FromTripChild =
  | { readonly type: 'ready' }
  | { readonly type: 'open'; readonly at: number }
  | { readonly type: 'closed' };

const send = (m: FromTripChild): void => {
  process.send?.(m);
};

let current: FleetInstance | undefined;

process.on('message', (m: ToTripChild) => {
  void (async () => {
    if (m.type === 'open') {
      installFaultDns();
      current = await openFleetInstance(storesOf(m.endpoints), {
        redisUrl: m.redisUrl,
        journalPrefix: `${m.prefix}:journal`,
        fleetPrefix: `${m.prefix}:fleet`,
        journalDir: `${m.tmp}/${m.id}-${m.prefix.replace(/[^a-z0-9]/g, '')}`,
        spoolDir: m.tmp,
        autoRepair: false,
        id: m.id,
        failover: { breaker: { resetTimeoutMs: 60_000, maxResetTimeoutMs: 60_000 } },
      });
      current.store.on('open', (e) => {
        if (e.target === 'aws') send({ type: 'open', at: performance.timeOrigin + performance.now() });
      });
      send({ type: 'ready' });
    } else {
      await current?.close();
      current = undefined;
      send({ type: 'closed' });
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(2);
  });
});
