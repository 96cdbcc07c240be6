import { createAzureBlobStore } from '@failover/azure-blob';
import type { CallObserver } from '@failover/core';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import {
  type BlobStore,
  createFileJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  type WriteMode,
} from '@failover/storage';
import { CLOUD_INFO } from '../clouds.js';
import { BUCKET, type CloudClients } from '../topology/topology.js';
import type { Tuning } from './tuning.js';

/** One `BlobStore` per cloud over the given SDK clients, AWS first. */
export function cloudStores(clients: CloudClients): [BlobStore, BlobStore, BlobStore] {
  return [
    createS3Store({ client: clients.s3, bucket: BUCKET, name: CLOUD_INFO.aws.target }),
    createGcsStore({ bucket: clients.gcsBucket, name: CLOUD_INFO.gcp.target }),
    createAzureBlobStore({ container: clients.azureContainer, name: CLOUD_INFO.azure.target }),
  ];
}

/** Options of {@link createOrderStore}. */
export interface OrderStoreOptions {
  readonly writes: WriteMode;
  /** Directory of the replication journal. */
  readonly journalDir: string;
  readonly tuning: Tuning;
  /** Traces and times every call (see `@failover/otel`'s `createCallObserver`). Default: none. */
  readonly observer?: CallObserver;
}

/**
 * The application's storage: the multi-cloud store over its own S3, GCS and Azure clients. Reads
 * and writes go to AWS first and fail over to Google Cloud, then Azure; every write some cloud
 * missed is journaled and copied there by repair.
 */
export function createOrderStore(clients: CloudClients, options: OrderStoreOptions): MultiCloudStore {
  const { tuning } = options;
  return createMultiCloudStore({
    targets: cloudStores(clients),
    writes: options.writes,
    journal: createFileJournal({ dir: options.journalDir }),
    failover: {
      attemptTimeoutMs: tuning.attemptTimeoutMs,
      retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 500 },
      breaker: tuning.breaker,
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    },
    repair: { delayMs: tuning.repairDelayMs, intervalMs: tuning.repairIntervalMs },
  });
}
