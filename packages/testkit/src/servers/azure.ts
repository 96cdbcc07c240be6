import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { startChildServer } from './child-server.js';
import { bucketsOf, type LocalServerOptions, parseOrigin, sdkRetriesOf } from './client-options.js';
import { launcherPath } from './launchers.js';
import { createBucketsOrStop, once, startInTempDir } from './lifecycle.js';
import type { ClientOptions, LocalServer } from './types.js';

/** Options of {@link startAzureServer}. */
export type AzureServerOptions = LocalServerOptions;

/** Azurite's well-known development account name. */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
/** Azurite's well-known development account key (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite blob service with a `BlobServiceClient` configured for it. */
export interface AzureLocalServer extends LocalServer<BlobServiceClient> {
  readonly provider: 'azure';
  /** The development connection string for {@link LocalServer.endpoint}. */
  readonly connectionString: string;
  /** The connection string of a client for another origin, as {@link LocalServer.clientFor} uses. */
  connectionStringFor(origin: string): string;
  /** `client.getContainerClient(name)`. */
  containerClient(name: string): ContainerClient;
  /** The Azurite child's process id. */
  readonly pid: number;
}

/**
 * Starts Azurite's blob service (`azurite-blob`, in memory) on `127.0.0.1` at a free port, in a
 * child Node process, and waits until it listens (about a second).
 *
 * The client is a `BlobServiceClient` from `@azure/storage-blob` (an optional peer dependency,
 * loaded here) made from the development connection string, with
 * `retryOptions.maxTries = sdkRetries + 1` (default: no SDK retries).
 *
 * {@link LocalServer.clientFor} puts the account in the path for an IP or `localhost` origin
 * (`http://127.0.0.1:PORT/devstoreaccount1`) and in the host name for a named origin, as Azure
 * does in production (`http://devstoreaccount1.blob.azure.failover.test:PORT`), so the SDK parses
 * account, container and blob names from URLs correctly. Azurite accepts both styles, and the fault
 * DNS hook resolves (or fails) sub-domains with their parent name.
 *
 * @example
 * const azure = await startAzureServer({ buckets: ['photos'] });
 * await azure.containerClient('photos').getBlockBlobClient('a.txt').upload('hi', 2);
 * await azure.stop();
 */
export async function startAzureServer(options: AzureServerOptions = {}): Promise<AzureLocalServer> {
  const sdkRetries = sdkRetriesOf(options);
  const buckets = bucketsOf(options);
  const sdk = await import('@azure/storage-blob');

  const { child, stop: stopChild } = await startInTempDir('failover-azurite-', startAzuriteChild);
  const origin = `http://127.0.0.1:${child.ready.port}`;
  const endpoint = `${origin}/${AZURITE_ACCOUNT_NAME}`;

  const connectionStringFor = (target: string): string =>
    connectionStringOf(blobEndpointFor(parseOrigin(target)));
  const clientFor = (target: string, clientOptions?: ClientOptions): BlobServiceClient => {
    const retries = sdkRetriesOf({ sdkRetries: clientOptions?.sdkRetries ?? sdkRetries });
    return sdk.BlobServiceClient.fromConnectionString(connectionStringFor(target), {
      retryOptions: { maxTries: retries + 1 },
    });
  };
  const client = clientFor(origin, { sdkRetries });

  const createBucket = async (name: string): Promise<void> => {
    await client.getContainerClient(name).createIfNotExists();
  };

  const stop = once(stopChild);
  await createBucketsOrStop({ createBucket, stop }, buckets);

  return {
    provider: 'azure',
    origin,
    endpoint,
    client,
    connectionString: connectionStringOf(endpoint),
    connectionStringFor,
    containerClient: (name) => client.getContainerClient(name),
    pid: child.pid,
    clientFor,
    createBucket,
    stop,
  };
}

function connectionStringOf(blobEndpoint: string): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};` +
    `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`
  );
}

/**
 * Path style for IP and `localhost` origins; for names, the production host style
 * `devstoreaccount1.blob.HOST` (the SDK reads the account from a host only when its second label is
 * `blob`; Azurite reads it from the first label).
 */
function blobEndpointFor(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 || host === 'localhost') return `${url.origin}/${AZURITE_ACCOUNT_NAME}`;
  if (host.startsWith(`${AZURITE_ACCOUNT_NAME}.blob.`)) return url.origin;
  return `${url.protocol}//${AZURITE_ACCOUNT_NAME}.blob.${url.host}`;
}

const LISTENS_ON = /successfully listens on (https?:\/\/\S+)/;

/** Runs azurite-blob in memory; its working directory `cwd` (a temp dir) catches any stray file. */
function startAzuriteChild(cwd: string) {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('azurite/package.json');
  const manifest = require(manifestPath) as { bin?: Record<string, string> };
  const blobMain = join(dirname(manifestPath), manifest.bin?.['azurite-blob'] ?? 'dist/src/blob/main.js');
  return startChildServer({
    name: 'azurite-blob',
    cwd,
    args: [
      '--require',
      launcherPath('exit-with-parent.cjs'),
      '--require',
      launcherPath('keep-alive.cjs'),
      blobMain,
      '--blobHost',
      '127.0.0.1',
      // Port 0: the OS picks a free port and Azurite prints the address it listens on.
      '--blobPort',
      '0',
      '--skipApiVersionCheck',
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--silent',
    ],
    ready(line): { port: number } | undefined {
      const match = LISTENS_ON.exec(line);
      if (!match?.[1]) return undefined;
      const port = Number(new URL(match[1]).port);
      return port > 0 ? { port } : undefined;
    },
  });
}
