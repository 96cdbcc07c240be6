import { S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
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
import { type Bucket, Storage } from '@google-cloud/storage';

/** The SDK clients an application already has: one per cloud. */
export interface ExistingClients {
  readonly s3: S3Client;
  readonly gcsBucket: Bucket;
  readonly azureContainer: ContainerClient;
}

/** The cloud names, in the application's order of preference. */
export type CloudName = 'aws' | 'gcp' | 'azure';

/** Three local clouds (s3rver, the testkit GCS emulator, Azurite), each behind a fault proxy. */
export interface LocalClouds {
  /** The bucket (S3, GCS) and container (Azure) created on every cloud. */
  readonly bucket: string;
  /**
   * What the application uses: plain SDK clients built with the SDKs' own constructors, pointed at
   * the fault proxies, with the SDKs' retries off (the failover router retries and moves on).
   */
  readonly app: ExistingClients;
  /** Clients straight to the servers, never through a fault: to check what each cloud holds. */
  readonly direct: ExistingClients;
  /** The fault proxy in front of each cloud; its name (`*.failover.test`) can stop resolving. */
  readonly proxies: Readonly<Record<CloudName, FaultProxy>>;
  /** Closes the proxies and the clients, then stops the servers. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the three servers with `bucket`, a fault proxy in front of each, and the clients. */
export async function startLocalClouds(bucket: string): Promise<LocalClouds> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped: clients and proxies before the servers behind them.
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const started = await Promise.allSettled([
      startS3Server({ buckets: [bucket] }),
      startGcsServer({ buckets: [bucket] }),
      startAzureServer({ buckets: [bucket] }),
    ]);
    for (const r of started) if (r.status === 'fulfilled') stops.push(() => r.value.stop());
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const [s3, gcs, azure] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      S3LocalServer,
      GcsLocalServer,
      AzureLocalServer,
    ];

    const proxies = {
      aws: await createFaultProxy({ target: s3.origin, flavor: 's3', hostname: 'aws-us-east-1' }),
      gcp: await createFaultProxy({ target: gcs.origin, flavor: 'gcs', hostname: 'gcp-us-central1' }),
      azure: await createFaultProxy({ target: azure.origin, flavor: 'azure', hostname: 'azure-eastus' }),
    };
    for (const p of Object.values(proxies)) stops.push(() => p.close());

    // Built as an application builds them; only the endpoints and local credentials differ.
    const s3Client = new S3Client({ ...s3.clientConfig, endpoint: proxies.aws.url, maxAttempts: 1 });
    stops.push(async () => s3Client.destroy());
    const app: ExistingClients = {
      s3: s3Client,
      gcsBucket: new Storage({
        apiEndpoint: proxies.gcp.url,
        projectId: 'local',
        retryOptions: { autoRetry: false },
      }).bucket(bucket),
      azureContainer: BlobServiceClient.fromConnectionString(azure.connectionStringFor(proxies.azure.url), {
        retryOptions: { maxTries: 1 },
      }).getContainerClient(bucket),
    };
    const direct: ExistingClients = {
      s3: s3.client,
      gcsBucket: gcs.client.bucket(bucket),
      azureContainer: azure.containerClient(bucket),
    };
    let stopped: Promise<void> | undefined;
    return {
      bucket,
      app,
      direct,
      proxies,
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
