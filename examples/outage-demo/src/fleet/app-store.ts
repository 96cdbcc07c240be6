import {
  createFleetHealth,
  createRedisJournal,
  type FallbackJournal,
  type FleetHealth,
  withLocalFallback,
} from '@failover/redis';
import {
  createFileJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  type WriteMode,
} from '@failover/storage';
import { createClient, type RedisClientType } from 'redis';
import { cloudStores } from '../app/order-store.js';
import type { Tuning } from '../app/tuning.js';
import type { CloudClients } from '../topology/topology.js';

/** Redis key prefixes of the demo's fleet: one journal and one breaker state for every instance. */
export const FLEET_PREFIXES = Object.freeze({ journal: 'outage-demo:journal', fleet: 'outage-demo:fleet' });

/** One instance's storage in fleet mode. */
export interface FleetOrderStore {
  readonly store: MultiCloudStore;
  readonly fleet: FleetHealth;
  readonly journal: FallbackJournal;
  /** Closes the fleet connection, the store and the Redis client. */
  close(): Promise<void>;
}

/** Options of {@link createFleetOrderStore}. */
export interface FleetOrderStoreOptions {
  readonly redisUrl: string;
  /** This instance's name: its writer id, journal leases and fleet messages. */
  readonly instanceId: string;
  readonly writes: WriteMode;
  /** This instance's local journal, used while Redis is away. */
  readonly journalDir: string;
  readonly tuning: Tuning;
}

/**
 * The order service's storage when it runs as one of several instances: the same multi-cloud store
 * as `createOrderStore`, but its journal lives in Redis (shared by every instance; a local file
 * journal takes the writes while Redis is away) and its breakers are shared with the fleet through
 * `createFleetHealth({ router: store })`: when one instance sees AWS fail, every instance skips it.
 */
export async function createFleetOrderStore(
  clients: CloudClients,
  options: FleetOrderStoreOptions,
): Promise<FleetOrderStore> {
  const { tuning } = options;
  const client = createClient({
    url: options.redisUrl,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(20 * 2 ** retries, 500),
    },
  }) as RedisClientType;
  client.on('error', () => undefined); // a lost connection reconnects; the fleet falls back meanwhile
  await client.connect();
  const journal = withLocalFallback(
    createRedisJournal({ client, prefix: FLEET_PREFIXES.journal, instanceId: options.instanceId }),
    createFileJournal({ dir: options.journalDir }),
  );
  let fleet: FleetHealth | undefined;
  const store = createMultiCloudStore({
    targets: cloudStores(clients),
    writes: options.writes,
    journal,
    writerId: options.instanceId,
    failover: {
      attemptTimeoutMs: tuning.attemptTimeoutMs,
      retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 500 },
      breaker: { ...tuning.breaker, probeGate: (target) => fleet?.probeGate(target) ?? true },
      observer: { onCallStart: (info) => fleet?.observer.onCallStart(info) },
    },
    repair: { delayMs: tuning.repairDelayMs, intervalMs: tuning.repairIntervalMs },
  });
  fleet = createFleetHealth({
    client,
    router: store,
    prefix: FLEET_PREFIXES.fleet,
    instanceId: options.instanceId,
    // Fleet-wide ejection after a few failures anywhere; it reopens like the instance's own breaker.
    ejectResetTimeoutMs: tuning.breaker.resetTimeoutMs,
  });
  const f = fleet;
  await f.ready;
  return {
    store,
    fleet: f,
    journal,
    async close() {
      await f.close();
      await store.close();
      if (client.isOpen) client.destroy();
    },
  };
}
