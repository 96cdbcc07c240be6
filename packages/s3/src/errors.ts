import { AbortedError, classifyFailure, redact, redactError } from '@failover/core';
import {
  ContentMismatchError,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
} from '@failover/storage';
import { classifyS3Error, s3ErrorCode, s3HttpStatus } from './classify.js';

/** What an error is about: the store, the operation, the key, the bucket. */
export interface ErrorContext {
  readonly target: string;
  readonly bucket: string;
  readonly operation: 'put' | 'get' | 'head' | 'delete' | 'list' | 'copy';
  readonly key?: string;
  /** The caller's signal: when it fired, any failure is reported as an abort. */
  readonly signal?: AbortSignal | undefined;
}

const MAX_MESSAGE = 200;

/**
 * The error for a call that the caller's signal cancelled: core's `AbortedError` (kind `aborted`),
 * whose `cause` is the signal's reason, as every store reports an abort.
 */
export function abortedError(ctx: ErrorContext): AbortedError {
  return new AbortedError({ target: ctx.target, cause: ctx.signal?.reason });
}

/** Throws {@link abortedError} when the caller's signal already fired. */
export function throwIfAborted(ctx: ErrorContext): void {
  if (ctx.signal?.aborted) throw abortedError(ctx);
}

/**
 * Turns anything an SDK call threw into a library error: `AbortedError` when the caller's signal
 * fired, `NotFoundError` for a missing object,
 * `PreconditionFailedError` for a failed condition, else a `StorageError` with the kind from
 * {@link classifyS3Error} (and core's rules for network errors). `cause` is a redacted copy of the
 * original error (name, code, status, message; no request or response objects);
 * the message carries the S3 error code and the provider's message, redacted.
 */
export function toStorageError(err: unknown, ctx: ErrorContext): StorageError | AbortedError {
  if (ctx.signal?.aborted) return err instanceof AbortedError ? err : abortedError(ctx);
  if (err instanceof StorageError || err instanceof AbortedError) return err;
  const kind = classifyFailure(err, classifyS3Error);
  const code = s3ErrorCode(err);
  // The SDK's error holds the signed request: keep a redacted copy (see core's `redactError`).
  const options = { target: ctx.target, cause: redactError(err) };
  if (kind === 'not_found' && code === 'NoSuchBucket') {
    return new StorageError(
      'not_found',
      `S3 ${ctx.operation}${about(ctx)} on ${ctx.target} failed: bucket ${JSON.stringify(ctx.bucket)} does not exist (NoSuchBucket)`,
      { ...options, key: ctx.key },
    );
  }
  if (
    kind === 'not_found' &&
    ctx.key !== undefined &&
    (ctx.operation === 'get' || ctx.operation === 'copy')
  ) {
    return new NotFoundError(ctx.key, options);
  }
  if (kind === 'precondition' && ctx.key !== undefined) {
    return new PreconditionFailedError(ctx.key, { ...options, reason: describe(err) });
  }
  const checksum = responseChecksumMismatch(err);
  if (checksum !== undefined) return new ContentMismatchError(ctx.key, { checksum }, options);
  return new StorageError(
    kind,
    `S3 ${ctx.operation}${about(ctx)} on ${ctx.target} failed (${kind}): ${describe(err)}`,
    {
      ...options,
      key: ctx.key,
    },
  );
}

/**
 * The AWS SDK validates a response's body against the checksum S3 sent with it
 * (`x-amz-checksum-crc32` and the others; `responseChecksumValidation`, on by default) and fails
 * the body with a plain `Error` when they differ. The algorithm it names, or `undefined` for any
 * other error. (Which of the two values is the header's differs between the SDK's streamed and
 * buffered checks, so neither is kept.)
 */
function responseChecksumMismatch(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  return CHECKSUM_MISMATCH.exec(err.message)?.[1];
}

const CHECKSUM_MISMATCH =
  /^Checksum mismatch: expected "[^"]*" but received "[^"]*" in response header "x-amz-checksum-([a-z0-9]+)"/;

/** `CODE (HTTP 503): message`, redacted and shortened; never a URL's secrets. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return truncate(redact(String(err)));
  const code = s3ErrorCode(err) ?? err.name;
  const status = s3HttpStatus(err);
  const errno = (err as { code?: unknown }).code;
  const label = [code, typeof errno === 'string' && errno !== code ? errno : undefined]
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .join(' ');
  const message = err.message && err.message !== code && err.message !== 'UnknownError' ? err.message : '';
  return truncate(redact(`${label}${status ? ` (HTTP ${status})` : ''}${message ? `: ${message}` : ''}`));
}

function about(ctx: ErrorContext): string {
  return ctx.key === undefined ? '' : ` of ${JSON.stringify(ctx.key)}`;
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 3)}...` : text;
}
