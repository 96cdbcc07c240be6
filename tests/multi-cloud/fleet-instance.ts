import {
  createFleetHealth,
  createRedisJournal,
  type FallbackJournal,
  type FleetHealth,
  type PendingKeysWatch,
  type RedisJournal,
  watchPendingKeys,
  withLocalFallback,
  withPendingKeysWatch,
} from '@failover/redis';
import {
  type BlobStore,
  createFileJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
} from '@failover/storage';
import { createClient, type RedisClientType } from 'redis';
import { testFailover } from './test-failover.js';

export { type CloudEndpoints, storesOf } from './child-stores.js';

/** Where one app instance finds the shared state: Redis (journal and fleet prefixes) and its own dirs. */
export interface FleetInstanceConfig {
  readonly redisUrl: string;
  readonly journalPrefix: string;
  readonly fleetPrefix: string;
  /** This instance's local fallback journal (used while Redis is away). */
  readonly journalDir: string;
  readonly spoolDir: string;
  /** Whether repair runs by itself (interval, after writes, on recovery). */
  readonly autoRepair: boolean;
  /** The instance's id (writer id, journal leases, fleet messages). */
  readonly id: string;
  /** Redis call timeouts (ms): journal and fleet. Default 1000 and 250 (the libraries' defaults). */
  readonly journalTimeoutMs?: number;
  readonly fleetTimeoutMs?: number;
  /** The breakers' first reset timeout (ms). Default 500. */
  readonly resetTimeoutMs?: number;
  /** Router settings instead of {@link fleetFailover}'s (the fleet's probe gate and observer are added). */
  readonly failover?: NonNullable<MultiCloudStoreOptions['failover']>;
  /**
   * Reads skip the shared-journal lookup for keys a pending-keys watch says nothing is pending
   * for (`withPendingKeysWatch`). Default false (strict lookups).
   */
  readonly pendingKeysWatch?: boolean;
  /** How far behind the real clock the store's `now` runs (ms), as on a machine whose clock drifted. */
  readonly clockSkewMs?: number;
  /** More store options (the soak's `writes` and `reads`, see `soakStoreOptions`; the bench's `writeLease`). */
  readonly store?: Pick<MultiCloudStoreOptions, 'writes' | 'reads' | 'writeLease'>;
}

/** One app instance of the fleet: a multi-cloud store on the Redis journal, its fleet health attached. */
export interface FleetInstance {
  readonly store: MultiCloudStore;
  readonly journal: FallbackJournal;
  readonly shared: RedisJournal;
  readonly fleet: FleetHealth;
  readonly client: RedisClientType;
  close(): Promise<void>;
}

/** A node-redis client that reconnects quickly and never crashes the process on a lost connection. */
export async function connectRedis(url: string): Promise<RedisClientType> {
  const client = createClient({
    url,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(20 * 2 ** retries, 200),
    },
  }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Router settings of the fleet tests: the multi-cloud tests' own ({@link testFailover}). */
export function fleetFailover(): NonNullable<MultiCloudStoreOptions['failover']> {
  return testFailover();
}

/**
 * Opens one app instance over `targets`: the journal is the Redis journal with a local file
 * journal as fallback, and the store's breakers are shared with the fleet by
 * `createFleetHealth({ router: store })`.
 */
export async function openFleetInstance(
  targets: readonly BlobStore[],
  config: FleetInstanceConfig,
): Promise<FleetInstance> {
  const client = await connectRedis(config.redisUrl);
  const shared = createRedisJournal({
    client,
    prefix: config.journalPrefix,
    instanceId: config.id,
    timeoutMs: config.journalTimeoutMs ?? 1000,
  });
  const watch: PendingKeysWatch | undefined = config.pendingKeysWatch
    ? watchPendingKeys({ client, prefix: config.journalPrefix })
    : undefined;
  await watch?.ready;
  const journal = withLocalFallback(
    watch === undefined ? shared : withPendingKeysWatch(shared, watch),
    createFileJournal({ dir: config.journalDir }),
  );
  let fleet: FleetHealth | undefined;
  const base = config.failover ?? fleetFailover();
  const store = createMultiCloudStore({
    targets,
    journal,
    writerId: config.id,
    ...(config.clockSkewMs === undefined ? {} : { now: () => Date.now() - config.clockSkewMs! }),
    failover: {
      ...base,
      breaker: {
        ...base.breaker,
        ...(config.resetTimeoutMs === undefined
          ? {}
          : { resetTimeoutMs: config.resetTimeoutMs, maxResetTimeoutMs: config.resetTimeoutMs }),
        probeGate: (target) => fleet?.probeGate(target) ?? true,
      },
      observer: { onCallStart: (info) => fleet?.observer.onCallStart(info) },
    },
    repair: config.autoRepair
      ? { intervalMs: 250, delayMs: 20 }
      : { intervalMs: false, delayMs: false, onRecovery: false },
    spool: { memoryBytes: 64 * 1024, dir: config.spoolDir },
    ...config.store,
  });
  fleet = createFleetHealth({
    client,
    router: store,
    prefix: config.fleetPrefix,
    instanceId: config.id,
    timeoutMs: config.fleetTimeoutMs ?? 250,
  });
  const f = fleet;
  await f.ready;
  return {
    store,
    journal,
    shared,
    fleet: f,
    client,
    async close() {
      await f.close();
      await store.close();
      await watch?.close();
      if (client.isOpen) client.destroy();
    },
  };
}
