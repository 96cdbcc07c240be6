import type { BlobStore } from '@failover/storage';

/**
 * What a contract factory returns: the store under test and, optionally, how to clean up after the
 * suite (stop a local server, remove a bucket or a temporary directory). Returning the store
 * alone is also accepted.
 */
export interface ContractSubject {
  /** The store under test. It may be shared with other suites: every test uses its own key prefix. */
  readonly store: BlobStore;
  /** Runs once after every test of the suite (after the suite's own keys were deleted). */
  readonly cleanup?: () => Promise<void> | void;
}

/** Makes the store under test; called once, before the first test of the suite. */
export type ContractFactory = () => Promise<ContractSubject | BlobStore> | ContractSubject | BlobStore;

/** Options of {@link blobStoreContract}. Every default runs the whole suite. */
export interface BlobStoreContractOptions {
  /** Size of the in-memory (`Uint8Array`) body round-tripped in one piece. Default 5 MiB. */
  bufferBytes?: number;
  /**
   * Size of each streamed body (a Node `Readable`, a web `ReadableStream` and an async iterable).
   * Default 20 MiB. Lower it to make a slow emulator's run shorter.
   */
  largeObjectBytes?: number;
  /** Start of every key the suite writes; a random run id and the test's name follow. Default `failover-contract/`. */
  keyPrefix?: string;
  /** Timeout of each test, in milliseconds. Default 120 000. */
  timeoutMs?: number;
  /** Delete every key the suite wrote once it is done. Default `true`. */
  deleteKeys?: boolean;
  /**
   * Whether the store takes `ifMatch` on `put` and `delete` (every single-provider store does).
   * With `false` the suite checks instead that `ifMatch` is refused with `InvalidArgumentError` and
   * nothing is written or deleted, as the multi-cloud store does. Default `true`.
   */
  ifMatch?: boolean;
}
