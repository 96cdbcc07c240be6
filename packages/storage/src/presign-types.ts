import type { OperationOptions } from './operation-options.js';

/** The HTTP method a presigned URL allows: `GET` to download, `PUT` to upload. */
export type PresignMethod = 'GET' | 'PUT';

/** Options of `presign`. */
export interface PresignOptions extends OperationOptions {
  /**
   * How long the URL stays valid, in seconds. Default 900 (15 minutes); 1 to 604800 (7 days, the
   * longest S3 SigV4 and GCS V4 signatures allow).
   */
  expiresIn?: number;
  /** `GET` (default) to download the object, `PUT` to upload it. */
  method?: PresignMethod;
  /**
   * `PUT` only: the content type the upload must carry. It is signed where the cloud can sign it
   * and listed in {@link PresignedUrl.headers}.
   */
  contentType?: string;
  /**
   * `PUT` only: user metadata the object gets. The uploader must send the headers listed in
   * {@link PresignedUrl.headers}; where the cloud signs them, a different value is refused.
   */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * A presigned request: anyone holding `url` may make it, without credentials, until `expiresAt`.
 * Treat `url` as a secret: the library never puts it in an error, an event, a log or a span.
 */
export interface PresignedUrl {
  /** The signed URL. */
  readonly url: string;
  /** The method the URL allows. */
  readonly method: PresignMethod;
  /**
   * Headers the request must carry (for a `PUT`: e.g. Azure's `x-ms-blob-type`, the content
   * type, metadata). Empty for most `GET`s.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** When the URL stops working. */
  readonly expiresAt: Date;
  /** The name of the store (cloud) the URL points at. */
  readonly target: string;
}

/** A store that can presign URLs: every adapter and the multi-cloud store. */
export interface Presigner {
  /**
   * A URL that lets a client without credentials `GET` (download) or `PUT` (upload) the object at
   * `key` until it expires. Signing happens locally (no request) except where a store says so.
   * Throws `InvalidKeyError` / `InvalidArgumentError` for bad input and a `StorageError` when the
   * client's credentials cannot sign; no error carries the URL.
   */
  presign(key: string, options?: PresignOptions): Promise<PresignedUrl>;
}
