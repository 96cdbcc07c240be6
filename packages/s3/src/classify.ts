import { S3ServiceException } from '@aws-sdk/client-s3';
import { classifyStatus, type FailureKind, registerClassifier } from '@failover/core';

/** S3 error codes (the SDK error's `name`) and the failure kind each one means. */
const BY_CODE: Readonly<Record<string, FailureKind>> = {
  // Missing things. NoSuchBucket is a configuration problem, but still an answer, not an outage.
  NoSuchKey: 'not_found',
  NotFound: 'not_found',
  NoSuchBucket: 'not_found',
  NoSuchUpload: 'not_found',
  NoSuchVersion: 'not_found',
  // Conditions.
  PreconditionFailed: 'precondition',
  ConditionalRequestConflict: 'precondition',
  NotModified: 'precondition',
  // Throttling.
  SlowDown: 'throttled',
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  TooManyRequests: 'throttled',
  TooManyRequestsException: 'throttled',
  RequestLimitExceeded: 'throttled',
  // The service failing.
  InternalError: 'unavailable',
  ServiceUnavailable: 'unavailable',
  // Time.
  RequestTimeout: 'timeout',
  RequestTimeoutException: 'timeout',
  // Credentials and permissions.
  AccessDenied: 'auth',
  AllAccessDisabled: 'auth',
  AccountProblem: 'auth',
  InvalidAccessKeyId: 'auth',
  SignatureDoesNotMatch: 'auth',
  ExpiredToken: 'auth',
  InvalidToken: 'auth',
  TokenRefreshRequired: 'auth',
  RequestTimeTooSkewed: 'auth',
  InvalidSecurity: 'auth',
  CredentialsNotSupported: 'auth',
  AuthorizationHeaderMalformed: 'auth',
  CredentialsProviderError: 'auth',
  // The request itself is wrong.
  InvalidRange: 'invalid',
  InvalidArgument: 'invalid',
  InvalidRequest: 'invalid',
  InvalidBucketName: 'invalid',
  KeyTooLongError: 'invalid',
  EntityTooLarge: 'invalid',
  EntityTooSmall: 'invalid',
  MalformedXML: 'invalid',
  InvalidDigest: 'invalid',
  BadDigest: 'invalid',
  InvalidPart: 'invalid',
  InvalidPartOrder: 'invalid',
  MetadataTooLarge: 'invalid',
  InvalidObjectState: 'invalid',
  InvalidStorageClass: 'invalid',
  MethodNotAllowed: 'invalid',
  NotImplemented: 'invalid',
  PermanentRedirect: 'invalid',
  MissingContentLength: 'invalid',
  XAmzContentSHA256Mismatch: 'invalid',
  // The body stopped short of its Content-Length: the connection failed under it.
  IncompleteBody: 'network',
};

/** The S3 error code of an SDK error (`name`, or `Code` from the XML body), when it has one. */
export function s3ErrorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { name?: unknown; Code?: unknown };
  if (typeof e.Code === 'string' && e.Code.length > 0) return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

/** The HTTP status an AWS SDK error carries in `$metadata`, when it has one. */
export function s3HttpStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function isServiceError(err: object): boolean {
  if (err instanceof S3ServiceException) return true;
  const e = err as { $fault?: unknown; $metadata?: unknown };
  return (e.$fault === 'client' || e.$fault === 'server') && typeof e.$metadata === 'object';
}

/**
 * Maps an error from `@aws-sdk/client-s3` to a {@link FailureKind},
 * or returns `undefined` for anything else (network errors, aborts, timeouts of the HTTP handler),
 * which core's built-in rules then classify.
 *
 * Socket errors the SDK renamed `TimeoutError` although they are resets (`ECONNRESET`, `EPIPE`)
 * are `network`. Then by S3 error code: `NoSuchKey`, `NotFound`, `NoSuchBucket` -> `not_found`;
 * `PreconditionFailed`, `ConditionalRequestConflict` -> `precondition`; `SlowDown` -> `throttled`;
 * `InternalError`, `ServiceUnavailable` -> `unavailable`; `RequestTimeout` -> `timeout`;
 * `AccessDenied`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `ExpiredToken`... -> `auth`;
 * `InvalidRange`, `InvalidArgument`... -> `invalid`. Then, for S3 errors without a known code, by
 * HTTP status: 503 -> `throttled` (S3's way of saying "slow down"), else core's status rules
 * (500/502 -> `unavailable`, 504 -> `timeout`, 403 -> `auth`, 404 -> `not_found`...).
 */
export function classifyS3Error(err: unknown): FailureKind | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  // The SDK's Node request handler renames ECONNRESET and EPIPE socket errors to `TimeoutError`
  // (core would read that name as a timeout): a reset connection is a network failure.
  const e = err as { name?: unknown; code?: unknown };
  if (e.name === 'TimeoutError' && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) return 'network';
  const code = s3ErrorCode(err);
  const service = isServiceError(err);
  if (code !== undefined && Object.hasOwn(BY_CODE, code)) {
    // A bare name match is only trusted on SDK errors (or the SDK's own credentials error).
    if (service || code === 'CredentialsProviderError') return BY_CODE[code];
  }
  if (!service) return undefined;
  const status = s3HttpStatus(err);
  if (status === undefined) return undefined;
  if (status === 503) return 'throttled';
  const kind = classifyStatus(status);
  return kind === 'unknown' ? undefined : kind;
}

/**
 * Registers {@link classifyS3Error} with core's `registerClassifier`, so `classifyFailure` and
 * the failover router understand raw S3 SDK errors. Idempotent; `createS3Store` calls it.
 */
export function registerS3Classifier(): void {
  registerClassifier(classifyS3Error);
}
