import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobServiceClient } from '@azure/storage-blob';
import {
  type BlobStore,
  createFileJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
} from '@failover/storage';
import type { Storage } from '@google-cloud/storage';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';
import { startCloudsWithGcsChild } from './gcs-child-clouds.js';

/** The bucket (container) every benchmark uses on every server. */
export const BUCKET = 'bench';

/**
 * The three local clouds of one benchmark process: s3rver, the testkit GCS emulator and Azurite,
 * each behind its own fault proxy, with adapter stores over clients that go through the proxies
 * and have no SDK retries (the router decides).
 */
export interface BenchClouds extends TargetOrderClouds {
  /** The S3 client behind the `aws` store (through the primary's proxy). */
  readonly s3Client: S3Client;
  /** The app's GCS and Azure clients, through the proxies (for raw-SDK baselines). */
  readonly gcsClient: Storage;
  readonly azureClient: BlobServiceClient;
  /** Adapter stores through the proxies, in target order; named `aws`, `gcp`, `azure`. */
  readonly targets: readonly [BlobStore, BlobStore, BlobStore];
  /** A temporary directory for journals and spool files, removed by `stop()`. */
  readonly tmp: string;
  /** A multi-cloud store over `targets` with a file journal in its own directory under `tmp`. */
  multi(options?: Partial<MultiCloudStoreOptions>): MultiCloudStore;
  /** Closes every multi-cloud store made here, the clients, the proxies and the servers. */
  stop(): Promise<void>;
}

/** Router settings of every benchmark: the defaults, plus an attempt time limit. */
export const BENCH_FAILOVER = Object.freeze({ attemptTimeoutMs: 1000 });

/** Automatic repair off, so that a benchmark measures the calls alone; repair runs when asked. */
export const NO_AUTO_REPAIR = Object.freeze({
  delayMs: false,
  intervalMs: false,
  onRecovery: false,
} as const);

/** How {@link startBenchClouds} starts the clouds. */
export interface BenchCloudsOptions {
  /**
   * Runs the GCS emulator in a child process (see gcs-child-clouds.ts), so that the bench's process
   * pays none of its memory or CPU; `gcs.emulator` is then not available. Default: in this process.
   */
  readonly gcsInChild?: boolean;
}

/** Starts the servers, proxies and adapter stores. */
export async function startBenchClouds(options: BenchCloudsOptions = {}): Promise<BenchClouds> {
  // A name for S3's proxy only, so that the `dns` fault fails the lookup (by IP it would reset).
  const clouds = options.gcsInChild
    ? await startCloudsWithGcsChild([BUCKET])
    : await startTargetOrderClouds({ buckets: [BUCKET], hostnames: { gcp: false, azure: false } });
  // BENCH_DIRECT=1: clients straight to the servers, no proxy in between (whose HTTP work runs in
  // this process, three times per default put against once per raw put). No fault can be injected.
  const clients = process.env.BENCH_DIRECT === '1' ? clouds.direct : clouds.app;
  const s3Client = clients.s3;
  const targets = cloudStores(BUCKET, clients);
  const tmp = await mkdtemp(join(tmpdir(), 'failover-bench-'));
  const stores: MultiCloudStore[] = [];
  let journals = 0;
  let stopped: Promise<void> | undefined;
  return {
    ...clouds,
    s3Client,
    gcsClient: clients.gcs,
    azureClient: clients.azure,
    targets,
    tmp,
    multi(options = {}) {
      const store = createMultiCloudStore({
        targets,
        journal: createFileJournal({ dir: join(tmp, `journal-${++journals}`) }),
        failover: BENCH_FAILOVER,
        repair: NO_AUTO_REPAIR,
        spool: {
          dir: tmp,
          replay: process.env.BENCH_SPOOL_REPLAY !== '0',
          ...(process.env.BENCH_SPOOL_MEMORY_BYTES === undefined
            ? {}
            : { memoryBytes: Number(process.env.BENCH_SPOOL_MEMORY_BYTES) }),
        },
        ...options,
      });
      stores.push(store);
      return store;
    },
    stop() {
      stopped ??= (async () => {
        await Promise.all(stores.map((s) => s.close()));
        await clouds.stop();
        await rm(tmp, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Starts the clouds, runs `fn` and always stops them. */
export async function withClouds<R>(
  fn: (clouds: BenchClouds) => Promise<R>,
  options: BenchCloudsOptions = {},
): Promise<R> {
  const clouds = await startBenchClouds(options);
  try {
    return await fn(clouds);
  } finally {
    await clouds.stop();
  }
}
