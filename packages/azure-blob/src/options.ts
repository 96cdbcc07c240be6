import type { ContainerClient } from '@azure/storage-blob';
import { readOptions } from '@failover/core';
import {
  type IoTimeouts,
  keyPrefixOption,
  type ResolvedIoTimeouts,
  resolveIoTimeouts,
} from '@failover/storage';

/** Options for {@link createAzureBlobStore}. */
export interface AzureBlobStoreOptions {
  /**
   * The `ContainerClient` your application already uses (any credential: shared key, SAS,
   * Microsoft Entra ID). The store wraps it and never builds a client of its own, so its pipeline,
   * retry policy and credentials apply to every call.
   */
  container: ContainerClient;
  /**
   * A key prefix inside the container (e.g. `tenant-a/`). Keys given to and returned by the store
   * never include it; listings only see keys under it. Default: none.
   */
  prefix?: string;
  /** The store's name in errors, logs and events. Default `azure:<account>/<container>`. */
  name?: string;
  /** Block size in bytes for streamed and very large uploads: 1 B to 4000 MiB. Default 8 MiB. */
  blockSize?: number;
  /** How many blocks are uploaded at once for streamed and very large uploads: 1 to 64. Default 4. */
  concurrency?: number;
  /**
   * Bounds on every HTTP request the store sends through `container`'s pipeline: connecting
   * (default 1 s), waiting for the response headers once the request is sent (default 2 s), and
   * silence while body bytes are due in either direction (default 2 s). Progress-based: a large
   * upload or download that keeps moving is never cut. Enforced around each operation without
   * changing the client's own settings; each call can override them with its `timeouts` option.
   * See {@link IoTimeouts}.
   */
  timeouts?: IoTimeouts;
}

/** The options after validation, with defaults filled in. */
export interface ResolvedAzureBlobStoreOptions {
  readonly container: ContainerClient;
  readonly prefix: string;
  readonly name: string;
  readonly blockSize: number;
  readonly concurrency: number;
  readonly timeouts: ResolvedIoTimeouts;
}

/** The default block size for streamed uploads: 8 MiB. */
export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
/** The default number of blocks in flight for streamed uploads. */
export const DEFAULT_CONCURRENCY = 4;
/** Azure's largest block (Put Block, service version 2019-12-12 and later): 4000 MiB. */
export const MAX_BLOCK_SIZE = 4000 * 1024 * 1024;
const MAX_CONCURRENCY = 64;

/**
 * Validates {@link AzureBlobStoreOptions} and fills in defaults. Throws `InvalidOptionError` naming
 * the first invalid option.
 */
export function resolveOptions(options: AzureBlobStoreOptions): ResolvedAzureBlobStoreOptions {
  const r = readOptions(options);
  const container = r.check(
    'container',
    isContainerClient,
    'a ContainerClient from @azure/storage-blob (e.g. blobServiceClient.getContainerClient(name))',
    { required: true },
  );
  const prefix = keyPrefixOption(r.value('prefix'), r.at('prefix'));
  const name = r.string('name', { notBlank: true, default: defaultName(container) });
  const blockSize = r.int('blockSize', {
    min: 1,
    max: MAX_BLOCK_SIZE,
    maxLabel: '4000 MiB',
    default: DEFAULT_BLOCK_SIZE,
  });
  const concurrency = r.int('concurrency', { min: 1, max: MAX_CONCURRENCY, default: DEFAULT_CONCURRENCY });
  const timeouts = resolveIoTimeouts(r.value('timeouts'), r.at('timeouts'));
  r.done();
  return { container, prefix, name, blockSize, concurrency, timeouts };
}

function isContainerClient(value: unknown): value is ContainerClient {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.getBlockBlobClient === 'function' &&
    typeof c.getBlobClient === 'function' &&
    typeof c.listBlobsFlat === 'function' &&
    typeof c.listBlobsByHierarchy === 'function' &&
    typeof c.containerName === 'string'
  );
}

function defaultName(container: ContainerClient): string {
  const account = container.accountName;
  return account ? `azure:${account}/${container.containerName}` : `azure:${container.containerName}`;
}
