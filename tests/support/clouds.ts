import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createAzureBlobStore } from '@failover/azure-blob';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import type { BlobStore } from '@failover/storage';
import {
  type AzureLocalServer,
  createFaultProxy,
  type FaultProxy,
  type GcsLocalServer,
  type S3LocalServer,
  startAzureServer,
  startGcsServer,
  startS3Server,
} from '@failover/testkit';
import type { Storage } from '@google-cloud/storage';

/** The three clouds of the tests and benchmarks, in target order. */
export type CloudName = 'aws' | 'gcp' | 'azure';

/** The DNS name (under `failover.test`) of each cloud's proxy. */
export const PROXY_HOSTNAMES: Readonly<Record<CloudName, string>> = {
  aws: 'aws-us-east-1',
  gcp: 'gcp-us-central1',
  azure: 'azure-eastus',
};

/**
 * Three real storage servers on loopback, each behind its own fault proxy: s3rver for `aws`, the
 * testkit GCS emulator for `gcp` and Azurite for `azure`.
 */
export interface LocalClouds {
  readonly s3: S3LocalServer;
  readonly gcs: GcsLocalServer;
  readonly azure: AzureLocalServer;
  /** The proxies in target order: aws (S3, the primary), gcp, azure. */
  readonly proxies: readonly [FaultProxy, FaultProxy, FaultProxy];
  /** Closes the proxies, then stops the servers. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalClouds}. */
export interface LocalCloudsOptions {
  /** Buckets (containers) to create on every server. Default: none. */
  readonly buckets?: readonly string[];
  /**
   * The proxies that get their {@link PROXY_HOSTNAMES} name (so the `dns` fault can make it stop
   * resolving); the others are reached by IP. Default: all three.
   */
  readonly named?: readonly CloudName[];
}

/** Starts the three servers, then their proxies. */
export async function startLocalClouds(options: LocalCloudsOptions = {}): Promise<LocalClouds> {
  const buckets = options.buckets ?? [];
  const named = options.named ?? ['aws', 'gcp', 'azure'];
  const hostname = (cloud: CloudName) => (named.includes(cloud) ? { hostname: PROXY_HOSTNAMES[cloud] } : {});
  const [s3, gcs, azure] = await Promise.all([
    startS3Server({ buckets }),
    startGcsServer({ buckets }),
    startAzureServer({ buckets }),
  ]);
  const proxies = (await Promise.all([
    createFaultProxy({ target: s3.origin, flavor: 's3', ...hostname('aws') }),
    createFaultProxy({ target: gcs.origin, flavor: 'gcs', ...hostname('gcp') }),
    createFaultProxy({ target: azure.origin, flavor: 'azure', ...hostname('azure') }),
  ])) as [FaultProxy, FaultProxy, FaultProxy];
  return {
    s3,
    gcs,
    azure,
    proxies,
    async stop() {
      await Promise.all(proxies.map((p) => p.close()));
      await Promise.all([s3.stop(), gcs.stop(), azure.stop()]);
    },
  };
}

/** One SDK client per cloud. */
export interface CloudClients {
  readonly s3: S3Client;
  readonly gcs: Storage;
  readonly azure: BlobServiceClient;
}

/** Clients that reach each server through its proxy (the proxy's `url`), with no SDK retries. */
export function clientsViaProxies(clouds: LocalClouds): CloudClients {
  const [aws, gcp, azure] = clouds.proxies;
  return {
    s3: clouds.s3.clientFor(aws.url, { sdkRetries: 0 }),
    gcs: clouds.gcs.clientFor(gcp.url, { sdkRetries: 0 }),
    azure: clouds.azure.clientFor(azure.url, { sdkRetries: 0 }),
  };
}

/** Adapter stores over `bucket` through `clients`, in target order, named `aws`, `gcp` and `azure`. */
export function cloudStores(bucket: string, clients: CloudClients): [BlobStore, BlobStore, BlobStore] {
  return [
    createS3Store({ client: clients.s3, bucket, name: 'aws' }),
    createGcsStore({ bucket: clients.gcs.bucket(bucket), name: 'gcp' }),
    createAzureBlobStore({ container: clients.azure.getContainerClient(bucket), name: 'azure' }),
  ];
}
