import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobServiceClient } from '@azure/storage-blob';
import { optionError, readOptions } from '@failover/core';
import type { Storage } from '@google-cloud/storage';
import { createFaultProxy } from '../fault-proxy/index.js';
import type { FaultFlavor, FaultProxy } from '../fault-proxy/types.js';
import { type AzureLocalServer, startAzureServer } from './azure.js';
import { type GcsLocalServer, startGcsServer } from './gcs.js';
import { type S3LocalServer, startS3Server } from './s3.js';

/** The three clouds of {@link startLocalClouds}: `aws` (s3rver), `gcp` (GCS emulator), `azure` (Azurite). */
export type LocalCloudName = 'aws' | 'gcp' | 'azure';

/** One official SDK client per cloud. */
export interface LocalCloudClients {
  readonly s3: S3Client;
  readonly gcs: Storage;
  readonly azure: BlobServiceClient;
}

/** Options of {@link startLocalClouds}. */
export interface LocalCloudsOptions {
  /** Buckets (S3, GCS) and containers (Azure) to create on every server. Default: none. */
  readonly buckets?: readonly string[];
  /**
   * The `failover.test` name of each cloud's proxy (see `FaultProxyOptions.hostname`), so that the
   * `dns` fault can make it stop resolving; `false` reaches that proxy by IP (where `dns` resets
   * connections instead). Default: {@link LOCAL_CLOUD_HOSTNAMES}.
   */
  readonly hostnames?: Readonly<Partial<Record<LocalCloudName, string | false>>>;
  /**
   * Seed of the proxies' random fault draws (`probability`): the `aws` proxy gets `seed`, `gcp`
   * `seed + 1` and `azure` `seed + 2`, so their draws are repeatable but not identical. Default:
   * random seeds.
   */
  readonly seed?: number;
}

/**
 * Three real storage servers on loopback, each behind its own fault proxy; see
 * {@link startLocalClouds}.
 */
export interface LocalClouds {
  /** s3rver, the `aws` cloud. */
  readonly s3: S3LocalServer;
  /** The testkit GCS emulator, the `gcp` cloud. */
  readonly gcs: GcsLocalServer;
  /** Azurite, the `azure` cloud. */
  readonly azure: AzureLocalServer;
  /** The fault proxy in front of each server. */
  readonly proxies: Readonly<Record<LocalCloudName, FaultProxy>>;
  /**
   * What the code under test uses: clients that reach each server through its proxy (`proxy.url`),
   * with the SDKs' own retries off (the failover router retries and moves on).
   */
  readonly app: LocalCloudClients;
  /** Clients straight to the servers, never through a fault: to check what each cloud holds. */
  readonly direct: LocalCloudClients;
  /** Closes the clients and the proxies, then stops the servers. Safe to call twice. */
  stop(): Promise<void>;
}

/** The default proxy names: `aws-us-east-1`, `gcp-us-central1` and `azure-eastus` (under `failover.test`). */
export const LOCAL_CLOUD_HOSTNAMES: Readonly<Record<LocalCloudName, string>> = Object.freeze({
  aws: 'aws-us-east-1',
  gcp: 'gcp-us-central1',
  azure: 'azure-eastus',
});

const CLOUDS: readonly LocalCloudName[] = ['aws', 'gcp', 'azure'];
const FLAVORS: Readonly<Record<LocalCloudName, FaultFlavor>> = { aws: 's3', gcp: 'gcs', azure: 'azure' };

/**
 * Starts "three local clouds": s3rver ({@link startS3Server}), the GCS emulator
 * ({@link startGcsServer}) and Azurite ({@link startAzureServer}), with `buckets` on each, a fault
 * proxy in front of each (named `*.failover.test` unless `hostnames` says `false`), `app` clients
 * through the proxies with no SDK retries, and `direct` clients. When any part fails to start, what
 * did start is stopped and the error is rethrown. The SDKs are the optional peer dependencies the
 * `start*Server` functions load.
 *
 * @example
 * const clouds = await startLocalClouds({ buckets: ['photos'] });
 * await clouds.proxies.aws.setFault(faults.dns()); // the app's S3 client now fails with ENOTFOUND
 * await clouds.stop();
 */
export async function startLocalClouds(options: LocalCloudsOptions = {}): Promise<LocalClouds> {
  const hostnames = hostnamesOf(options.hostnames);
  const seed = seedOf(options.seed);
  const buckets = options.buckets ?? [];
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped: clients and proxies before the servers behind them.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const [s3, gcs, azure] = await allStarted(cleanups, [
      startS3Server({ buckets }),
      startGcsServer({ buckets }),
      startAzureServer({ buckets }),
    ] as const);
    const origins: Record<LocalCloudName, string> = { aws: s3.origin, gcp: gcs.origin, azure: azure.origin };
    const [aws, gcp, az] = await allStarted(
      cleanups,
      CLOUDS.map((cloud, i) => {
        const hostname = hostnames[cloud];
        return createFaultProxy({
          target: origins[cloud],
          flavor: FLAVORS[cloud],
          ...(hostname === false ? {} : { hostname }),
          ...(seed === undefined ? {} : { seed: seed + i }),
        });
      }),
      (proxy) => proxy.close(),
    );
    const proxies = { aws, gcp, azure: az } as Record<LocalCloudName, FaultProxy>;

    const app: LocalCloudClients = {
      s3: s3.clientFor(proxies.aws.url, { sdkRetries: 0 }),
      gcs: gcs.clientFor(proxies.gcp.url, { sdkRetries: 0 }),
      azure: azure.clientFor(proxies.azure.url, { sdkRetries: 0 }),
    };
    cleanups.push(async () => app.s3.destroy());
    const direct: LocalCloudClients = { s3: s3.client, gcs: gcs.client, azure: azure.client };

    let stopped: Promise<void> | undefined;
    return {
      s3,
      gcs,
      azure,
      proxies,
      app,
      direct,
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Waits for every start; registers `cleanup` for each one that started (even when another failed),
 * then rethrows the first failure.
 */
async function allStarted<T extends readonly unknown[]>(
  cleanups: (() => Promise<void>)[],
  starts: { readonly [K in keyof T]: Promise<T[K]> },
  cleanup: (started: T[number]) => Promise<void> = (started) => (started as { stop(): Promise<void> }).stop(),
): Promise<T> {
  const settled = await Promise.allSettled(starts as readonly Promise<T[number]>[]);
  for (const r of settled) if (r.status === 'fulfilled') cleanups.push(() => cleanup(r.value));
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T[number]>).value) as unknown as T;
}

const isHostname = (v: unknown): v is string | false => v === false || (typeof v === 'string' && v !== '');

function hostnamesOf(given: LocalCloudsOptions['hostnames']): Record<LocalCloudName, string | false> {
  const r = readOptions(given, 'hostnames', true);
  const names: Record<LocalCloudName, string | false> = { ...LOCAL_CLOUD_HOSTNAMES };
  for (const cloud of CLOUDS) {
    names[cloud] = r.check(cloud, isHostname, 'a non-empty name or false') ?? names[cloud];
  }
  r.done();
  return names;
}

function seedOf(seed: number | undefined): number | undefined {
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw optionError('seed', 'an integer', seed);
  return seed;
}
