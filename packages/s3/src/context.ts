import {
  createIoWatch,
  type IoWatch,
  type OperationOptions,
  operationIoTimeouts,
  type WatchedRequestInfo,
} from '@failover/storage';
import type { ErrorContext } from './errors.js';
import type { KeyLock } from './key-lock.js';
import type { ResolvedS3StoreOptions } from './options.js';

/** What every operation of one store shares: its resolved options and its key lock. */
export interface StoreContext extends ResolvedS3StoreOptions {
  /** Serializes emulated conditional writes per object key (see `conditionalWrites`). */
  readonly lock: KeyLock;
  /** Whether the client sends stream bodies as they are (`sendsStreamsAsIs`), once asked. */
  streamsAsIs?: Promise<boolean>;
}

/** The {@link ErrorContext} of one operation of the store. */
export function errorContext(
  ctx: StoreContext,
  operation: ErrorContext['operation'],
  key: string | undefined,
  signal: AbortSignal | undefined,
): ErrorContext {
  return { target: ctx.name, bucket: ctx.bucket, operation, key, signal };
}

/**
 * The watchdog of one operation: the store's `timeouts` with the call's own `timeouts` over them
 * (an invalid one throws `InvalidArgumentError`).
 */
export function ioWatch(
  ctx: StoreContext,
  operation: ErrorContext['operation'],
  key: string | undefined,
  options: OperationOptions,
  /** Every request of the operation may take as long as a commit (a CopyObject in place). */
  commits = false,
): IoWatch {
  // The options were checked (an object, or absent) before the watch is made (defineBlobStore).
  const timeouts = operationIoTimeouts(ctx.timeouts, options.timeouts, key);
  return createIoWatch(
    timeouts,
    { target: ctx.name, operation, key },
    { isCommit: commits ? () => true : isCompleteMultipartUpload },
  );
}

/** CompleteMultipartUpload: `POST /key?uploadId=...` (CreateMultipartUpload is `POST /key?uploads`). */
function isCompleteMultipartUpload(request: WatchedRequestInfo): boolean {
  return request.method === 'POST' && /[?&]uploadId=/.test(request.path);
}
