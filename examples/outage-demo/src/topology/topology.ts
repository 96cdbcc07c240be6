import type { S3Client } from '@aws-sdk/client-s3';
import type { ContainerClient } from '@azure/storage-blob';
import {
  type AzureLocalServer,
  createFaultProxy,
  type FaultFlavor,
  type FaultProxy,
  type GcsLocalServer,
  type S3LocalServer,
  startAzureServer,
  startGcsServer,
  startS3Server,
} from '@failover/testkit';
import type { Bucket } from '@google-cloud/storage';
import { API_PROXY } from '../clouds.js';
import type { ProxyId } from '../scenarios/types.js';
import { API_REGIONS, type ApiRegion, type PricingServer, startPricingServer } from './pricing-api.js';

/** The bucket (S3, GCS) and container (Azure) the order service writes to. */
export const BUCKET = 'orders';

/** Host names (under `failover.test`) of each proxy, so the `dns` fault can make them stop resolving. */
const HOSTNAMES: Readonly<Record<ProxyId, string>> = {
  s3: 's3.us-east-1',
  gcs: 'storage.gcp',
  azure: 'azure-eastus',
  'api-us-east-1': 'pricing.us-east-1',
  'api-us-west-2': 'pricing.us-west-2',
  'api-gcp': 'pricing.gcp',
};

const FLAVORS: Readonly<Record<ProxyId, FaultFlavor>> = {
  s3: 's3',
  gcs: 'gcs',
  azure: 'azure',
  'api-us-east-1': 'http',
  'api-us-west-2': 'http',
  'api-gcp': 'http',
};

/** The SDK clients of one way of reaching the clouds (through the proxies, or straight to the servers). */
export interface CloudClients {
  readonly s3: S3Client;
  readonly gcsBucket: Bucket;
  readonly azureContainer: ContainerClient;
}

/** Everything the demo runs on: three storage servers, three API regions, six fault proxies. */
export interface Topology {
  readonly s3: S3LocalServer;
  readonly gcs: GcsLocalServer;
  readonly azure: AzureLocalServer;
  readonly api: Readonly<Record<ApiRegion, PricingServer>>;
  readonly proxies: Readonly<Record<ProxyId, FaultProxy>>;
  /** What the application uses: SDK clients pointed at the proxies (no SDK retries: the library decides). */
  readonly app: CloudClients;
  /** What verification uses: SDK clients pointed straight at the servers, never through a fault. */
  readonly direct: CloudClients;
  /** The pricing API's base URL per region (through its proxy). */
  readonly apiUrls: Readonly<Record<ApiRegion, string>>;
  /** Stops everything, proxies first. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts s3rver, the testkit GCS emulator and Azurite (each with the `orders` bucket), the three
 * pricing API regions, and a fault proxy in front of each of the six, named under `failover.test`
 * so their names can stop resolving. `seed` seeds the proxies' fault draws.
 */
export async function startTopology(seed: number): Promise<Topology> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    // Last started, first stopped: proxies before the servers behind them.
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    // Started together (Azurite takes about a second); every one that started is stopped on failure.
    const track = <T extends { stop(): Promise<void> }>(server: T): T => {
      closers.push(() => server.stop());
      return server;
    };
    const started = await Promise.allSettled([
      startS3Server({ buckets: [BUCKET] }).then(track),
      startGcsServer({ buckets: [BUCKET] }).then(track),
      startAzureServer({ buckets: [BUCKET] }).then(track),
    ] as const);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const [s3, gcs, azure] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      S3LocalServer,
      GcsLocalServer,
      AzureLocalServer,
    ];
    const api = {} as Record<ApiRegion, PricingServer>;
    for (const region of API_REGIONS) {
      const server = await startPricingServer(region);
      closers.push(() => server.close());
      api[region] = server;
    }
    const targets: Record<ProxyId, string> = {
      s3: s3.origin,
      gcs: gcs.origin,
      azure: azure.origin,
      'api-us-east-1': api['aws-us-east-1'].origin,
      'api-us-west-2': api['aws-us-west-2'].origin,
      'api-gcp': api.gcp.origin,
    };
    const proxies = {} as Record<ProxyId, FaultProxy>;
    let n = 0;
    for (const id of Object.keys(targets) as ProxyId[]) {
      const proxy = await createFaultProxy({
        target: targets[id],
        flavor: FLAVORS[id],
        hostname: HOSTNAMES[id],
        seed: (seed + ++n * 7919) >>> 0,
      });
      closers.push(() => proxy.close());
      proxies[id] = proxy;
    }

    const appS3 = s3.clientFor(proxies.s3.url, { sdkRetries: 0 });
    closers.push(async () => appS3.destroy());
    const app: CloudClients = {
      s3: appS3,
      gcsBucket: gcs.clientFor(proxies.gcs.url, { sdkRetries: 0 }).bucket(BUCKET),
      azureContainer: azure.clientFor(proxies.azure.url, { sdkRetries: 0 }).getContainerClient(BUCKET),
    };
    const direct: CloudClients = {
      s3: s3.client,
      gcsBucket: gcs.client.bucket(BUCKET),
      azureContainer: azure.containerClient(BUCKET),
    };
    const apiUrls = Object.fromEntries(API_REGIONS.map((r) => [r, proxies[API_PROXY[r]].url])) as Record<
      ApiRegion,
      string
    >;
    let closed: Promise<void> | undefined;
    return {
      s3,
      gcs,
      azure,
      api,
      proxies,
      app,
      direct,
      apiUrls,
      close() {
        closed ??= closeAll();
        return closed;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
