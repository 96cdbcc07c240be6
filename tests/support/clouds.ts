import { createAzureBlobStore } from '@failover/azure-blob';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import type { BlobStore } from '@failover/storage';
import {
  type FaultProxy,
  type LocalCloudClients,
  type LocalClouds,
  type LocalCloudsOptions,
  startLocalClouds,
} from '@failover/testkit';

/**
 * testkit's three local clouds with the proxies in target order (aws, the primary, then gcp and
 * azure), so that `proxies[i]` stands in front of the store at `targets[i]` of {@link cloudStores}.
 */
export interface TargetOrderClouds extends Omit<LocalClouds, 'proxies'> {
  /** The proxies in target order: aws (S3, the primary), gcp, azure. */
  readonly proxies: readonly [FaultProxy, FaultProxy, FaultProxy];
}

/** Starts testkit's {@link startLocalClouds} and lists its proxies in target order. */
export async function startTargetOrderClouds(options?: LocalCloudsOptions): Promise<TargetOrderClouds> {
  const clouds = await startLocalClouds(options);
  const { aws, gcp, azure } = clouds.proxies;
  return { ...clouds, proxies: [aws, gcp, azure] };
}

/** Adapter stores over `bucket` through `clients`, in target order, named `aws`, `gcp` and `azure`. */
export function cloudStores(bucket: string, clients: LocalCloudClients): [BlobStore, BlobStore, BlobStore] {
  return [
    createS3Store({ client: clients.s3, bucket, name: 'aws' }),
    createGcsStore({ bucket: clients.gcs.bucket(bucket), name: 'gcp' }),
    createAzureBlobStore({ container: clients.azure.getContainerClient(bucket), name: 'azure' }),
  ];
}
