import { AbortedError, redact, redactError } from '@failover/core';
import { type BlobInfo, blobInfo, ifMatchFailed, type NormalizedBody, StorageError } from '@failover/storage';
import { classifyS3Error, s3ErrorCode } from './classify.js';
import { type ErrorContext, toStorageError } from './errors.js';

/** Everything a write needs, validated. */
export interface WriteRequest {
  readonly key: string;
  readonly objectKey: string;
  readonly body: NormalizedBody;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly ifNoneMatch: '*' | undefined;
  /** `ifMatch`: the etag the object at the key must have (unquoted), when given. */
  readonly ifMatch: string | undefined;
  readonly size: number | undefined;
  /** The caller's MD5 of a byte body (lowercase hex), when given. */
  readonly md5: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly ectx: ErrorContext;
}

/** An entity tag as the `If-Match` header carries it (quoted); `undefined` stays `undefined`. */
export function quoted(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : `"${etag}"`;
}

/**
 * A failed write as a library error. With `ifMatch`, S3's 404 `NoSuchKey` means no object exists at
 * the key: the condition failed (a missing bucket stays what it is).
 */
export function writeError(err: unknown, request: WriteRequest): Error {
  if (
    request.ifMatch !== undefined &&
    !request.signal?.aborted &&
    classifyS3Error(err) === 'not_found' &&
    s3ErrorCode(err) !== 'NoSuchBucket'
  ) {
    return ifMatchFailed(request.key, request.ectx.target, false, redactError(err));
  }
  return toStorageError(err, request.ectx);
}

/** The info of a write that succeeded. */
export function written(
  request: WriteRequest,
  size: number,
  etag: string | undefined,
  md5: string | undefined,
): BlobInfo {
  return blobInfo({
    key: request.key,
    size,
    contentType: request.contentType,
    metadata: { ...request.metadata },
    checksums: md5 === undefined ? {} : { md5 },
    etag,
  });
}

/**
 * The caller's body stream failed: not S3's fault, so never an availability kind (`invalid`), or
 * the stream's own `AbortedError` when it was aborted.
 */
export function bodyStreamError(request: WriteRequest, cause: unknown): Error {
  if (cause instanceof AbortedError) return cause;
  const detail = cause instanceof Error ? `: ${redact(cause.message)}` : '';
  return new StorageError('invalid', `The body stream of ${JSON.stringify(request.key)} failed${detail}`, {
    target: request.ectx.target,
    key: request.key,
    cause,
  });
}
