import { readOptions } from '@failover/core';
import { keyPrefixOption } from '@failover/storage';
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
   * A download fails with `kind: 'timeout'` when no byte arrives for this many milliseconds while
   * the reader waits for data (time the reader spends not reading does not count). It guards
   * against connections that drop or stall in the middle of a body, which the client does not
   * always notice. `0` turns the guard off. Default 60 000 (the client's own request timeout).
   */
  readIdleTimeoutMs?: number;
}

/** The default {@link GcsStoreOptions.resumableThreshold}: 8 MiB. */
export const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;

/** The default {@link GcsStoreOptions.readIdleTimeoutMs}: 60 s. */
export const DEFAULT_READ_IDLE_TIMEOUT_MS = 60_000;

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
  const readIdleTimeoutMs = r.int('readIdleTimeoutMs', {
    min: 0,
    minLabel: 'off',
    default: DEFAULT_READ_IDLE_TIMEOUT_MS,
  });
  r.done();
  return { bucket, prefix, name, resumableThreshold, chunkSize, readIdleTimeoutMs };
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
