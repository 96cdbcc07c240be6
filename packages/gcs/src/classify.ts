import { classifyStatus, type FailureKind } from '@failover/core';

/**
 * Error codes the @google-cloud/storage client sets on errors it raises itself (not on HTTP
 * answers). Integrity failures mean this target did not deliver (or did not store) the bytes that
 * were sent: the operation failed, nothing is reported as written or read, and another copy may
 * serve. They are `unavailable`, an availability kind, so a multi-cloud store moves on.
 */
const CLIENT_CODE_KINDS: Readonly<Record<string, FailureKind>> = {
  // Upload: the server's checksum differs from the client's; the client deleted the object.
  FILE_NO_UPLOAD: 'unavailable',
  // Upload mismatch, and deleting the bad object failed too.
  FILE_NO_UPLOAD_DELETE: 'unavailable',
  // Download: the bytes received do not match the object's checksum.
  CONTENT_DOWNLOAD_MISMATCH: 'unavailable',
  // MD5 validation asked for an object without an MD5 (composite objects).
  MD5_NOT_AVAILABLE: 'invalid',
};

/** `errors[].reason` values of the GCS JSON API, when they say more than the status code. */
const REASON_KINDS: Readonly<Record<string, FailureKind>> = {
  notFound: 'not_found',
  conditionNotMet: 'precondition',
  rateLimitExceeded: 'throttled',
  userRateLimitExceeded: 'throttled',
  backendError: 'unavailable',
  internalError: 'unavailable',
  serviceUnavailable: 'unavailable',
  forbidden: 'auth',
  insufficientPermissions: 'auth',
  accessNotConfigured: 'auth',
  accountDisabled: 'auth',
  userProjectAccessDenied: 'auth',
  authError: 'auth',
  unauthorized: 'auth',
  invalid: 'invalid',
  invalidArgument: 'invalid',
  badRequest: 'invalid',
  invalidParameter: 'invalid',
  requestTimeout: 'timeout',
};

/**
 * The resumable upload, once out of retries (or with retries off), fails with a plain `Error`
 * whose message is the only record of what happened: `Retry limit exceeded - status: 503 - ...`,
 * or `... - code: ECONNRESET`. The client only gives up this way on errors it considers retryable
 * (408, 429, 5xx, connection problems), so each is an availability failure.
 */
const RETRY_EXHAUSTED = /^Retry (?:total time )?limit exceeded\b/;
const RETRY_STATUS = /\bstatus: (\d{3})\b/;
const RETRY_CODE = /\bcode: ([A-Za-z_]+)\b/;
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Classifies an error raised by @google-cloud/storage (7 or 8) into a {@link FailureKind}, or
 * returns `undefined` when it is not a GCS error shape (core's built-in rules then handle socket,
 * DNS and timeout codes).
 *
 * Recognised, in order: the client's own codes (`FILE_NO_UPLOAD`, `CONTENT_DOWNLOAD_MISMATCH`:
 * `unavailable`); the JSON API's `errors[].reason` (`notFound`, `conditionNotMet`,
 * `rateLimitExceeded`, `backendError`, `forbidden`, ...) on `ApiError`, gaxios errors and upload
 * errors; the HTTP status (`ApiError.code`, gaxios `status` / `response.status`); and the resumable
 * upload's "Retry limit exceeded" errors. Registered with core's `registerClassifier` when a GCS
 * store is created, so `classifyFailure` agrees with it.
 */
export function classifyGcsError(err: unknown): FailureKind | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as Record<string, unknown>;

  if (typeof e.code === 'string' && Object.hasOwn(CLIENT_CODE_KINDS, e.code)) {
    return CLIENT_CODE_KINDS[e.code];
  }

  for (const reason of reasonsOf(e)) {
    if (Object.hasOwn(REASON_KINDS, reason)) return REASON_KINDS[reason];
  }

  // A success status on an error is an answer whose body then failed (`Invalid response body
  // while trying to fetch ...: read ECONNRESET`): the status says nothing, the code does (below).
  const status = statusOf(e);
  if (status !== undefined && (status >= 400 || status === 304)) return classifyStatus(status);

  const message = typeof e.message === 'string' ? e.message : '';
  if (err instanceof Error && RETRY_EXHAUSTED.test(message)) {
    const s = RETRY_STATUS.exec(message)?.[1];
    if (s !== undefined) return classifyStatus(Number(s));
    const code = RETRY_CODE.exec(message)?.[1];
    if (code !== undefined && TIMEOUT_CODES.has(code)) return 'timeout';
    if (code !== undefined) return 'network';
    return 'unavailable';
  }
  return undefined;
}

/** The HTTP status on the error shapes the GCS client produces. */
function statusOf(e: Record<string, unknown>): number | undefined {
  const response = asRecord(e.response);
  const candidates = [e.code, e.status, e.statusCode, response?.status, response?.statusCode];
  for (const c of candidates) {
    if (typeof c === 'number' && Number.isInteger(c) && c >= 100 && c <= 599) return c;
  }
  // gaxios in some versions reports the status as a string code ("503").
  if (typeof e.code === 'string' && /^[1-5]\d\d$/.test(e.code) && (e.response || e.config)) {
    return Number(e.code);
  }
  return undefined;
}

/** Every `reason` found in the places the GCS client puts the JSON API's error list. */
function reasonsOf(e: Record<string, unknown>): string[] {
  const out: string[] = [];
  const collect = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      const rec = asRecord(item);
      if (!rec) continue;
      if (typeof rec.reason === 'string') out.push(rec.reason);
      // An upload error keeps the response body (`{ error: { errors } }`) in `errors`.
      const inner = asRecord(rec.error);
      if (inner) collect(inner.errors);
    }
  };
  collect(e.errors);
  const data = asRecord(asRecord(e.response)?.data);
  collect(asRecord(data?.error)?.errors);
  return out;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}
