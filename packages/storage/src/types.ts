import type { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { OperationOptions } from './operation-options.js';
import type { PresignedUrl, PresignOptions } from './presign-types.js';

export type { OperationOptions } from './operation-options.js';

/**
 * What `put` accepts: bytes, a string (written as UTF-8), a Node `Readable`, a web
 * `ReadableStream`, or any async iterable of byte chunks.
 */
export type BlobBody =
  | Uint8Array
  | string
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * Checksums of an object's content, each as lowercase hex. A store fills in those its provider
 * reports (S3 and Azure: `md5` when known; GCS: `md5` and `crc32c`); `sha256` comes from the
 * object's own metadata when the multi-cloud store wrote it.
 */
export interface Checksums {
  md5?: string;
  crc32c?: string;
  sha256?: string;
}

/** What a store knows about one object. */
export interface BlobInfo {
  /** The object's key, as the caller gave it (without any store prefix). */
  key: string;
  /** Size in bytes. */
  size: number;
  /**
   * The provider's entity tag, unquoted; opaque. It changes with every write of the object, and is
   * what {@link PutOptions.ifMatch} takes. Every store of the library reports it.
   */
  etag?: string;
  /** The content type given at `put`, or the provider's default. */
  contentType?: string;
  /** When the object was last written, as the provider reports it. */
  lastModified?: Date;
  /** User metadata. Keys are always lowercase (see {@link PutOptions.metadata}). */
  metadata: Record<string, string>;
  /** Content checksums the provider reports, as lowercase hex. */
  checksums: Checksums;
}

/** A common-prefix entry returned by `list` when a `delimiter` is given. */
export interface PrefixEntry {
  prefix: string;
}

/** One entry of a listing: an object, or (with a delimiter) a common prefix. */
export type ListEntry = BlobInfo | PrefixEntry;

/** Options for {@link BlobStore.put}. */
export interface PutOptions extends OperationOptions {
  /** Content type stored with the object. Default `application/octet-stream`. */
  contentType?: string;
  /**
   * User metadata. Keys must match `[a-z_][a-z0-9_]*` case-insensitively (the rules of every
   * cloud at once: Azure requires identifiers) and are stored lowercase; values must be printable
   * ASCII. Anything else is an `InvalidArgumentError`.
   */
  metadata?: Record<string, string>;
  /** `'*'`: write only if no object exists at the key, else `PreconditionFailedError`. */
  ifNoneMatch?: '*';
  /**
   * Write only if the object at the key is still the version with this entity tag (its
   * {@link BlobInfo.etag}, as this store returned it from `head`, `get`, `list`, `put` or `copy`),
   * else `PreconditionFailedError` (also when no object exists at the key). Checked atomically
   * at the moment of the write where the provider can (S3 `If-Match`, GCS `ifGenerationMatch`,
   * Azure `If-Match`), so a write made meanwhile by anyone is never replaced. A non-empty string
   * of printable ASCII without `"` (at most 1024 characters); cannot be combined with
   * `ifNoneMatch`. The multi-cloud store does not take it (`InvalidArgumentError`).
   */
  ifMatch?: string;
  /** The body's size in bytes when known in advance; a hint some providers use for streams. */
  size?: number;
  /**
   * The MD5 of the body, as 32 hex digits, when the caller already computed it from the very
   * bytes it passes: the store sends it for the cloud to check (S3 `Content-MD5`, GCS `md5Hash`,
   * Azure `x-ms-blob-content-md5`) instead of hashing the body again. Only with a byte body (a
   * `Uint8Array` or a string; with a stream it is an `InvalidArgumentError`). A digest that does
   * not match the bytes fails the put and stores nothing: the cloud refuses it (the memory and file
   * stores, and bodies a store sends in parts, check it themselves). Default: the store computes it.
   */
  md5?: string;
}

/** An inclusive byte range: `start` to `end` (both inclusive), or to the end when `end` is omitted. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Options for {@link BlobStore.get}. */
export interface GetOptions extends OperationOptions {
  /** Read only these bytes. `info` still describes the whole object. */
  range?: ByteRange;
}

/** Options for {@link BlobStore.list}. */
export interface ListOptions extends OperationOptions {
  /** Only keys that start with this. */
  prefix?: string;
  /** Group keys that contain this after the prefix into {@link PrefixEntry} entries (usually `/`). */
  delimiter?: string;
  /** How many entries to ask the provider for per page (1..1000). */
  pageSize?: number;
}

/** Options for {@link BlobStore.delete}. */
export interface DeleteOptions extends OperationOptions {
  /**
   * Delete only if the object at the key is still the version with this entity tag (its
   * {@link BlobInfo.etag}, as this store returned it), else `PreconditionFailedError` and the
   * object there stays. Checked atomically at the moment of the delete where the provider can
   * (S3 `If-Match` on DeleteObject, GCS `ifGenerationMatch` + `ifMetagenerationMatch`, Azure
   * `If-Match`), so a version written meanwhile by anyone is never deleted. No object at the key
   * is not an error, as for every delete: the version given is gone either way (a retried delete
   * stays idempotent). The same values as {@link PutOptions.ifMatch}; anything else is an
   * `InvalidArgumentError`. The multi-cloud store does not take it (`InvalidArgumentError`).
   */
  ifMatch?: string;
}

/** Options for {@link BlobStore.copy}. */
export interface CopyOptions extends OperationOptions {
  /** `'*'`: copy only if nothing exists at the destination, else `PreconditionFailedError`. */
  ifNoneMatch?: '*';
}

/** The result of {@link BlobStore.get}: the object's info and its bytes as a Node stream. */
export interface GetResult {
  info: BlobInfo;
  body: Readable;
}

/**
 * One blob API over every store: memory, filesystem, S3, GCS, Azure Blob, and the multi-cloud
 * store. Every method validates its key first (`InvalidKeyError`), honours `signal`, and throws
 * library errors (each with a failure `kind` and the provider error as `cause`).
 */
export interface BlobStore {
  /** A name for logs, events and status (e.g. `s3:my-bucket`). */
  readonly name: string;
  /** Writes an object, replacing any existing one unless `ifNoneMatch: '*'` or `ifMatch` says otherwise. */
  put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo>;
  /** Reads an object (or a range of it). Missing: `NotFoundError`. */
  get(key: string, options?: GetOptions): Promise<GetResult>;
  /** An object's info, or `null` when it does not exist. */
  head(key: string, options?: OperationOptions): Promise<BlobInfo | null>;
  /** Whether an object exists at the key. */
  exists(key: string, options?: OperationOptions): Promise<boolean>;
  /**
   * Deletes an object. Deleting a missing key is not an error. With `ifMatch`, only the version
   * with that entity tag is deleted (`PreconditionFailedError` when another version is there).
   */
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /** Lists objects (and, with a delimiter, common prefixes) in key order, page by page. */
  list(options?: ListOptions): AsyncIterable<ListEntry>;
  /** Copies an object within the store. Missing source: `NotFoundError`. */
  copy(from: string, to: string, options?: CopyOptions): Promise<BlobInfo>;
  /**
   * A presigned URL for the object (see `Presigner`). Optional: the cloud adapters and the
   * multi-cloud store have it; the memory and filesystem stores do not.
   */
  presign?(key: string, options?: PresignOptions): Promise<PresignedUrl>;
  /**
   * Replaces an object's metadata without sending its bytes again (content and content type
   * stay). Optional: where a provider cannot do it cheaply, callers write the object again. With
   * `ifMatch`, only the object with that entity tag is changed (`PreconditionFailedError`
   * otherwise). Missing key: `NotFoundError`.
   */
  setMetadata?(
    key: string,
    metadata: Record<string, string>,
    options?: SetMetadataOptions,
  ): Promise<BlobInfo>;
}

/** Options of {@link BlobStore.setMetadata}. */
export interface SetMetadataOptions extends OperationOptions {
  /** Change the object only if its entity tag is this one. */
  ifMatch?: string;
}

/** True when a listing entry is a common prefix rather than an object. */
export function isPrefixEntry(entry: ListEntry): entry is PrefixEntry {
  return !('key' in entry);
}
