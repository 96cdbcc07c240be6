import { readOptions } from '@failover/core';
import {
  type IoTimeouts,
  keyPrefixOption,
  type ResolvedIoTimeouts,
  resolveIoTimeouts,
} from '@failover/storage';
import type { Bucket } from '@google-cloud/storage';

/** Options of {@link createGcsStore}. */
export interface GcsStoreOptions {
  /**
   * The bucket to store objects in, from the `Storage` client you already configured
   * (`new Storage(...).bucket('my-bucket')`). The store never creates a client of its own; it uses
   * this bucket's credentials, endpoint and retry settings.
   */
  bucket: Bucket;
  /**
   * A key prefix inside the bucket (e.g. `tenant-a/`). Every object the store writes gets it in
   * front of its key; keys passed in and returned never include it. Default: none.
   */
  prefix?: string;
  /** The store's name in logs, events and errors. Default `gcs:<bucket>` (plus `/<prefix>`). */
  name?: string;
  /**
   * Byte bodies of at least this many bytes, and streams (unless `put`'s `size` hint is below it),
   * go through a resumable upload; smaller ones through one multipart request. `0` makes every
   * upload resumable. Default 8 MiB.
   */
  resumableThreshold?: number;
  /**
   * Resumable uploads send the body in requests of this many bytes (a multiple of 256 KiB), each
   * acknowledged by the server before the next. Default: one streaming request for the whole body.
   */
  chunkSize?: number;
  /**
   * A download fails with `kind: 'network'` when no byte arrives for this many milliseconds while
   * the reader waits for data (time the reader spends not reading does not count): a second guard
   * on the body stream itself, for transports the request watchdog cannot see (`fetch`). `0`
   * turns it off. Default: `timeouts.idleTimeoutMs` (2000).
   * @deprecated Use `timeouts.idleTimeoutMs`, which bounds every request in both directions.
   */
  readIdleTimeoutMs?: number;
  /**
   * Bounds on every HTTP request the store sends through the bucket's client: connecting
   * (default 1 s), waiting for the response headers once the request is sent (default 2 s), and
   * silence while body bytes are due in either direction (default 2 s). Progress-based: a large
   * upload or download that keeps moving is never cut. Enforced around each operation without
   * changing the client's own settings; each call can override them with its `timeouts` option.
   * See {@link IoTimeouts}.
   */
  timeouts?: IoTimeouts;
  /**
   * How many objects' metadata the store remembers (the last it read or wrote, per key), so a
   * whole-object `get` of a key it knows sends one request instead of two. GCS's media download
   * names the generation and metageneration it sent; the remembered metadata is used only when
   * both match, so it is never stale, and a key changed by someone else costs its metadata read
   * after the download rather than beside it. About 0.5 KiB per key. `0`: every `get` reads the
   * metadata beside the bytes. Default 4096.
   */
  metadataCacheSize?: number;
}

/** The default {@link GcsStoreOptions.metadataCacheSize}. */
export const DEFAULT_METADATA_CACHE_SIZE = 4096;

/** The default {@link GcsStoreOptions.resumableThreshold}: 8 MiB. */
export const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;

/**
 * The old default of {@link GcsStoreOptions.readIdleTimeoutMs}; it now follows
 * `timeouts.idleTimeoutMs`, whose default is this.
 * @deprecated Use `DEFAULT_IO_TIMEOUTS.idleTimeoutMs` from `@failover/storage`.
 */
export const DEFAULT_READ_IDLE_TIMEOUT_MS = 2000;

/** GCS requires resumable chunks (except the last) to be multiples of 256 KiB. */
export const CHUNK_SIZE_UNIT = 256 * 1024;

/** Options after validation, with defaults applied. */
export interface ResolvedGcsOptions {
  readonly bucket: Bucket;
  readonly prefix: string;
  readonly name: string;
  readonly resumableThreshold: number;
  readonly chunkSize: number | undefined;
  readonly readIdleTimeoutMs: number;
  readonly timeouts: ResolvedIoTimeouts;
  readonly metadataCacheSize: number;
}

/** Validates {@link GcsStoreOptions}; throws `InvalidOptionError` naming the first bad option. */
export function resolveOptions(options: GcsStoreOptions): ResolvedGcsOptions {
  const r = readOptions(options);
  const bucket = r.check(
    'bucket',
    isBucketLike,
    'a Bucket from @google-cloud/storage (`storage.bucket(name)`)',
    {
      required: true,
    },
  );
  const prefix = keyPrefixOption(r.value('prefix'), r.at('prefix'));
  if (prefix.startsWith('/')) r.refuse('prefix', 'must not start with "/"');
  const name = r.string('name', {
    notBlank: true,
    default: `gcs:${bucket.name}${prefix === '' ? '' : `/${prefix.replace(/\/+$/, '')}`}`,
  });
  const resumableThreshold = r.int('resumableThreshold', { min: 0, default: DEFAULT_RESUMABLE_THRESHOLD });
  const chunkSize = r.check(
    'chunkSize',
    isChunkSize,
    `a positive multiple of ${CHUNK_SIZE_UNIT} bytes (256 KiB), e.g. ${32 * CHUNK_SIZE_UNIT} (8 MiB)`,
  );
  const timeouts = resolveIoTimeouts(r.value('timeouts'), r.at('timeouts'));
  const readIdleTimeoutMs = r.int('readIdleTimeoutMs', {
    min: 0,
    minLabel: 'off',
    default: timeouts.idleTimeoutMs,
  });
  const metadataCacheSize = r.int('metadataCacheSize', {
    min: 0,
    minLabel: 'off',
    default: DEFAULT_METADATA_CACHE_SIZE,
  });
  r.done();
  return {
    bucket,
    prefix,
    name,
    resumableThreshold,
    chunkSize,
    readIdleTimeoutMs,
    timeouts,
    metadataCacheSize,
  };
}

function isChunkSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) % CHUNK_SIZE_UNIT === 0;
}

function isBucketLike(value: unknown): value is Bucket {
  if (value === null || typeof value !== 'object') return false;
  const b = value as Partial<Record<'name' | 'file' | 'getFiles', unknown>>;
  return (
    typeof b.name === 'string' &&
    b.name !== '' &&
    typeof b.file === 'function' &&
    typeof b.getFiles === 'function'
  );
}
