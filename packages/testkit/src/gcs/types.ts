import type { KeyObject } from 'node:crypto';
/** Options for {@link createGcsEmulator}. */
export interface GcsEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /**
   * Port to listen on; `0` picks a free one. Default `0`. After a `stop()`, `start()` listens on
   * the port of the first start again, so clients keep working across a restart.
   */
  port?: number;
  /**
   * A directory that mirrors every bucket and object, so the data survives a restart of the
   * process. Loaded at the first `start()`, which rejects with an `InvalidOptionError` for
   * `directory` when a file there is not what the emulator wrote (a `bucket.json` naming another
   * or an invalid bucket, an object record with a name GCS refuses, symbolic links...). Objects
   * are still served from memory. Default: memory only.
   */
  directory?: string;
  /** Buckets created at `start()` (when missing). */
  buckets?: readonly string[];
  /** Largest object accepted, in bytes; larger uploads get `413`. Default 1 GiB. */
  maxObjectSize?: number;
  /** How many recent requests {@link GcsEmulator.requests} keeps. Default `1000`; `0` keeps none. */
  requestLogLimit?: number;
  /**
   * Public keys (PEM text or `KeyObject`s; a private key gives its public half) of the service
   * accounts whose V4 signed URLs are verified, by `client_email`. With any set, a signed URL's
   * signature is checked (403 `SignatureDoesNotMatch` when it does not match, 403 `AccessDenied`
   * for another signer); with none, a well-formed, unexpired signed URL is accepted whoever signed
   * it. More can be added with {@link GcsEmulator.trustSigner}. Default none.
   */
  signers?: Readonly<Record<string, string | KeyObject>>;
}

/** Where a started emulator listens. */
export interface GcsEmulatorAddress {
  /** `http://HOST:PORT`: pass it as `apiEndpoint` to `new Storage(...)`. */
  readonly origin: string;
  /** The port it listens on. */
  readonly port: number;
}

/**
 * What the emulator did for one HTTP request (see {@link GcsEmulator.requests}). The path and
 * query are shown with any credential-looking parameter redacted.
 */
export interface GcsRequestRecord {
  /** HTTP method. */
  readonly method: string;
  /** The request path, still percent-encoded, e.g. `/storage/v1/b/bkt/o/a%2Fb.txt`. */
  readonly path: string;
  /** Query parameters (the last value of each). */
  readonly query: Readonly<Record<string, string>>;
  /** The JSON API operation the request was routed to, or `unknown`. */
  readonly operation: GcsOperation;
  /** The bucket the request was about, when there is one. */
  readonly bucket: string | undefined;
  /** The object name the request was about (decoded), when there is one. */
  readonly object: string | undefined;
  /** The HTTP status sent. */
  readonly status: number;
  /** When the request arrived (epoch milliseconds). */
  readonly startedAt: number;
}

/** The operations the emulator serves, named after the JSON API methods. */
export type GcsOperation =
  | 'buckets.insert'
  | 'buckets.get'
  | 'buckets.list'
  | 'buckets.delete'
  | 'objects.insert'
  | 'objects.get'
  | 'objects.download'
  | 'objects.list'
  | 'objects.patch'
  | 'objects.update'
  | 'objects.delete'
  | 'objects.rewrite'
  | 'objects.copy'
  | 'objects.compose'
  | 'objects.move'
  | 'uploads.start'
  | 'uploads.put'
  | 'uploads.cancel'
  | 'unknown';

/** Object metadata as the JSON API returns it (`storage#object`). Numbers travel as strings. */
export interface GcsObjectResource {
  kind: 'storage#object';
  /** `bucket/name/generation`. */
  id: string;
  selfLink: string;
  mediaLink: string;
  name: string;
  bucket: string;
  /** The object's generation (a decimal string). */
  generation: string;
  /** The metadata generation (a decimal string), `1` when written, +1 per metadata change. */
  metageneration: string;
  contentType: string;
  storageClass: string;
  /** Size in bytes (a decimal string). */
  size: string;
  /** Base64 MD5 of the content; absent for composed objects, as on GCS. */
  md5Hash?: string;
  /** Base64 of the big-endian CRC32C of the content. */
  crc32c: string;
  etag: string;
  timeCreated: string;
  updated: string;
  timeStorageClassUpdated: string;
  /** User metadata; absent when there is none. */
  metadata?: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  /** Number of source objects of a composed object. */
  componentCount?: number;
}

/** Bucket metadata as the JSON API returns it (`storage#bucket`). */
export interface GcsBucketResource {
  kind: 'storage#bucket';
  id: string;
  selfLink: string;
  projectNumber: string;
  name: string;
  timeCreated: string;
  updated: string;
  metageneration: string;
  location: string;
  locationType: string;
  storageClass: string;
  etag: string;
}

/** Options for {@link GcsEmulator.putObject}. */
export interface GcsPutObjectOptions {
  /** Default `application/octet-stream`. */
  contentType?: string;
  /** User metadata. */
  metadata?: Record<string, string>;
}

/** An object as stored, returned by {@link GcsEmulator.getObject}. */
export interface GcsStoredObject {
  /** The content. */
  readonly data: Buffer;
  /** The metadata the JSON API would return for it. */
  readonly resource: GcsObjectResource;
}

/**
 * An in-process Google Cloud Storage JSON API server (see `docs/testkit-gcs-emulator.md`).
 * The data helpers (`createBucket`, `putObject`, ...) work whether or not it is running.
 */
export interface GcsEmulator {
  /** Starts listening; resolves with the address. Starting a running emulator is a no-op. */
  start(): Promise<GcsEmulatorAddress>;
  /**
   * Stops listening and closes open connections. Data and finished uploads stay (in memory and in
   * the directory), so a later `start()` serves them again; open resumable uploads and rewrites in
   * progress (their `rewriteToken`s) are dropped.
   * Safe to call twice.
   */
  stop(): Promise<void>;
  /** Whether it is listening. */
  readonly running: boolean;
  /** `http://HOST:PORT`. Throws when the emulator was never started. */
  readonly origin: string;
  /** The port. Throws when the emulator was never started. */
  readonly port: number;
  /** The most recent requests, oldest first (up to `requestLogLimit`). */
  readonly requests: readonly GcsRequestRecord[];
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /**
   * Verifies the V4 signed URLs of `clientEmail` with `key` from now on (see
   * {@link GcsEmulatorOptions.signers}): once any signer is trusted, only trusted signers' URLs
   * with a matching signature are served.
   */
  trustSigner(clientEmail: string, key: string | KeyObject): void;
  /** Creates a bucket; an existing one is left as is. Throws for an invalid bucket name. */
  createBucket(name: string): Promise<void>;
  /** Names of the buckets, sorted. */
  bucketNames(): string[];
  /** Writes an object (a new generation), creating nothing else: the bucket must exist. */
  putObject(
    bucket: string,
    name: string,
    data: Uint8Array | string,
    options?: GcsPutObjectOptions,
  ): Promise<GcsObjectResource>;
  /** An object's content and metadata, or `undefined` when it (or its bucket) does not exist. */
  getObject(bucket: string, name: string): GcsStoredObject | undefined;
  /** Names of a bucket's objects in listing order (UTF-8 byte order); `[]` for a missing bucket. */
  objectNames(bucket: string): string[];
  /** Deletes every bucket, object, upload session and rewrite in progress (and the directory's contents). */
  reset(): Promise<void>;
}
