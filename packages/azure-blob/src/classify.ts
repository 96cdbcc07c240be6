import { builtInClassify, classifyStatus, type FailureKind, registerClassifier } from '@failover/core';

/** The shape of an `@azure/core-rest-pipeline` `RestError`, read without importing the class. */
interface RestErrorLike {
  name: string;
  message: string;
  code?: unknown;
  statusCode?: unknown;
  details?: unknown;
  response?: { status?: unknown; headers?: { get?: (name: string) => string | undefined } };
}

/** Azure Storage error codes whose kind does not follow from the HTTP status alone. */
const CODE_KINDS: Readonly<Record<string, FailureKind>> = {
  // 404
  BlobNotFound: 'not_found',
  ContainerNotFound: 'not_found',
  ResourceNotFound: 'not_found',
  // 409 / 412: an answer about the object's state
  BlobAlreadyExists: 'precondition',
  ConditionNotMet: 'precondition',
  TargetConditionNotMet: 'precondition',
  SourceConditionNotMet: 'precondition',
  LeaseIdMissing: 'precondition',
  LeaseIdMismatchWithBlobOperation: 'precondition',
  LeaseLost: 'precondition',
  // 503 ServerBusy is how Azure Storage throttles ("Operations per second is over the account
  // limit", "Ingress is over the account limit", ...)
  ServerBusy: 'throttled',
  // 500
  OperationTimedOut: 'timeout',
  InternalError: 'unavailable',
  // 401 / 403
  AuthenticationFailed: 'auth',
  AuthorizationFailure: 'auth',
  AuthorizationPermissionMismatch: 'auth',
  AuthorizationSourceIPMismatch: 'auth',
  AuthorizationProtocolMismatch: 'auth',
  AuthorizationResourceTypeMismatch: 'auth',
  AuthorizationServiceMismatch: 'auth',
  InsufficientAccountPermissions: 'auth',
  InvalidAuthenticationInfo: 'auth',
  NoAuthenticationInformation: 'auth',
  AccountIsDisabled: 'auth',
  // 416
  InvalidRange: 'invalid',
};

/** `RestError.code` values that mean the request never got an HTTP answer. */
const SEND_ERROR = 'REQUEST_SEND_ERROR';

/**
 * True when `err` looks like a `RestError` from the Azure SDK (checked by shape, so errors from
 * several copies of the SDK are recognised alike).
 */
export function isRestError(err: unknown): err is RestErrorLike {
  return err instanceof Error && err.name === 'RestError';
}

/** The HTTP status of a `RestError`, when the service answered. */
export function azureStatusOf(err: unknown): number | undefined {
  if (!isRestError(err)) return undefined;
  const status = typeof err.statusCode === 'number' ? err.statusCode : err.response?.status;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
}

/**
 * The Azure Storage error code of a `RestError` (`BlobNotFound`, `ServerBusy`...), when the service
 * sent one. HEAD responses carry it only in the `x-ms-error-code` header, which the SDK puts in
 * `details.errorCode`; other responses also carry it in `code`.
 */
export function azureErrorCode(err: unknown): string | undefined {
  if (!isRestError(err)) return undefined;
  const details = err.details as { errorCode?: unknown; code?: unknown } | undefined;
  const candidates: unknown[] = [
    details?.errorCode,
    details?.code,
    azureStatusOf(err) !== undefined ? err.code : undefined,
    err.response?.headers?.get?.('x-ms-error-code'),
  ];
  for (const c of candidates) if (typeof c === 'string' && c !== '') return c;
  return undefined;
}

/**
 * Maps an Azure SDK `RestError` to a `FailureKind`, or returns `undefined` for anything else (so
 * `classifyFailure` asks its other rules). Order: the Azure error code (`ServerBusy` is
 * `throttled`, `OperationTimedOut` `timeout`, `InternalError` `unavailable`, `BlobNotFound` and
 * `ContainerNotFound` `not_found`, `BlobAlreadyExists` and `ConditionNotMet` `precondition`,
 * `AuthenticationFailed` and the `Authorization*` codes `auth`, `InvalidRange` `invalid`); then
 * the HTTP status; then, for requests that got no answer, the socket code (`ECONNRESET`:
 * `network`, `ETIMEDOUT`: `timeout`) or `REQUEST_SEND_ERROR` (`network`).
 */
export function classifyAzureError(err: unknown): FailureKind | undefined {
  if (!isRestError(err)) return undefined;
  const code = azureErrorCode(err);
  if (code !== undefined) {
    const byCode = CODE_KINDS[code];
    if (byCode !== undefined) return byCode;
  }
  const status = azureStatusOf(err);
  // A success status on an error (an answer whose body then failed) says nothing: the code does.
  const byStatus = status === undefined ? 'unknown' : classifyStatus(status);
  if (byStatus !== 'unknown') return byStatus;
  if (typeof err.code === 'string') {
    if (err.code === SEND_ERROR) return 'network';
    const builtIn = builtInClassify({ code: err.code, name: 'Error' });
    if (builtIn !== undefined) return builtIn;
  }
  return undefined;
}

/**
 * Registers {@link classifyAzureError} with `@failover/core`, so `classifyFailure` (and every
 * router) understands raw Azure SDK errors. Idempotent; `createAzureBlobStore` calls it.
 */
export function registerAzureClassifier(): void {
  registerClassifier(classifyAzureError);
}
