import type { BlobStore } from '@failover/storage';
import type { FaultFlavor, RequestMatch } from '../../fault-proxy/index.js';

/**
 * The I/O bounds an adapter takes as its `timeouts` option (connect, response headers, idle time
 * between body chunks). The suite passes plain objects, some deliberately invalid.
 */
export type IoBoundsTimeouts = Readonly<Record<string, unknown>> | number;

/** What {@link ioBoundsContract}'s factory returns: a real server and a way to open the store over it. */
export interface IoBoundsSubject {
  /** Origin of the real local server (`http://127.0.0.1:port`); the suite puts its fault proxy in front. */
  readonly origin: string;
  /** The fault proxy's flavor (error bodies of injected statuses). */
  readonly flavor: FaultFlavor;
  /**
   * Opens the store under test with its client pointed at `endpoint` (the proxy's origin, or the
   * server's own origin for seeding), passing `timeouts` as the adapter's `timeouts` option (left out
   * when `undefined`, so the adapter's defaults apply). Must throw the adapter's
   * `InvalidOptionError` at once for invalid `timeouts`. The client should not retry on its own
   * (the suite checks each call settles; a retrying SDK only makes the file slower).
   */
  readonly open: (endpoint: string, timeouts: IoBoundsTimeouts | undefined) => BlobStore;
  /**
   * Which requests download an object's body, for the mid-body faults. Default: GETs whose request
   * target ends with the object key (optionally followed by a query string).
   */
  readonly download?: RequestMatch;
  /**
   * The requests of a streamed upload (a put of a 16 MiB stream of unknown size), by phase, for the
   * upload cases: each phase given is held by the proxy in turn and the put must fail. Without it,
   * the upload cases are skipped.
   */
  readonly upload?: IoBoundsUploadPhases;
  /** Runs after the last test (stop the server). */
  readonly cleanup?: () => Promise<void> | void;
}

/**
 * Which requests make up each phase of a streamed upload. Phases left out (an upload that has no
 * such request) are not tested.
 */
export interface IoBoundsUploadPhases {
  /** The request that opens the upload: S3 CreateMultipartUpload, the GCS resumable session `POST`. */
  readonly start?: RequestMatch;
  /** The requests that carry the bytes: S3 UploadPart, the GCS session `PUT`, Azure Put Block. */
  readonly data: RequestMatch;
  /** The request that assembles the object: S3 CompleteMultipartUpload, Azure Put Block List. */
  readonly commit?: RequestMatch;
}

/** Builds the subject, once, in the suite's `beforeAll`. */
export type IoBoundsFactory = () => Promise<IoBoundsSubject> | IoBoundsSubject;

/** Options of {@link ioBoundsContract}. */
export interface IoBoundsContractOptions {
  /** Per-test timeout of vitest in ms (default 60,000). Nothing asserts how long a call took. */
  readonly timeoutMs?: number;
}
