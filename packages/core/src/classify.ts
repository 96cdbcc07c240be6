import { FailoverError } from './errors.js';
import { type FailureKind, isFailureKind } from './failure-kind.js';

/**
 * Maps an error to a {@link FailureKind}, or returns `undefined` when it does not recognise it
 * (the next classifier is then asked). Provider packages register one with
 * {@link registerClassifier}; a router can take its own through the `classify` option.
 */
export type Classifier = (err: unknown) => FailureKind | undefined;

/**
 * The registered classifiers, kept on `globalThis` under a registry symbol so every copy of
 * `@failover/core` in the process (two versions nested by npm, the ESM and the CommonJS build)
 * shares one list: an adapter that registers with its copy is consulted by all of them.
 */
const REGISTRY_KEY = Symbol.for('@failover/core/classifiers');
const registry: Classifier[] = sharedRegistry();

function sharedRegistry(): Classifier[] {
  const holder = globalThis as { [REGISTRY_KEY]?: unknown };
  const existing = holder[REGISTRY_KEY];
  if (Array.isArray(existing)) return existing as Classifier[];
  const created: Classifier[] = [];
  Object.defineProperty(holder, REGISTRY_KEY, { value: created, enumerable: false, configurable: false });
  return created;
}
const MAX_CAUSE_DEPTH = 8;

/**
 * Registers a classifier that every {@link classifyFailure} call consults before the built-in
 * rules. The most recently registered one is asked first. Registering the same function twice is a
 * no-op. Returns a function that unregisters it.
 */
export function registerClassifier(classifier: Classifier): () => void {
  if (!registry.includes(classifier)) registry.unshift(classifier);
  return () => {
    const i = registry.indexOf(classifier);
    if (i >= 0) registry.splice(i, 1);
  };
}

/**
 * Reduces any error to one {@link FailureKind}.
 *
 * Order: a library error's own `kind`; then `extra` (a router's `classify` option); then every
 * registered provider classifier; then the built-in rules (Node socket and DNS codes, undici and
 * fetch errors, TLS handshake and certificate errors, HTTP status codes on common error shapes: `status`, `statusCode`, `response.status`,
 * `$metadata.httpStatusCode`, numeric `code`; throttling names such as `SlowDown`). When nothing
 * matches, the `cause` chain is followed. Anything still unrecognised is `unknown`.
 */
export function classifyFailure(err: unknown, extra?: Classifier): FailureKind {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current != null; depth++) {
    const kind = classifyOne(current, extra);
    if (kind !== undefined) return kind;
    current = (current as { cause?: unknown }).cause;
  }
  return 'unknown';
}

function classifyOne(err: unknown, extra: Classifier | undefined): FailureKind | undefined {
  if (err instanceof FailoverError) return err.kind;
  if (extra) {
    const k = extra(err);
    if (k !== undefined) return k;
  }
  for (const classifier of registry) {
    const k = classifier(err);
    if (k !== undefined) return k;
  }
  return builtInClassify(err);
}

/**
 * OpenSSL errors Node reports only while a TLS session is being set up (the server does not speak
 * TLS, or no protocol version or cipher is shared): no request was sent yet.
 */
const TLS_HANDSHAKE_CODES = [
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
];

/**
 * Certificate errors: the client refused the server's certificate (self-signed, expired, not yet
 * valid, untrusted issuer, revoked, a host name it does not cover), or the server refused the
 * client's. The handshake failed, so no request was sent: like a refused connection, this target
 * cannot be used from here and the call moves on (`network`, and it counts as a connect failure
 * for `breaker.consecutiveConnectFailures`). Whether it is an outage (a certificate that expired
 * or a TLS-intercepting middlebox on one cloud's path) or a configuration mistake, another target
 * can answer; the error keeps its `code` (and the cause chain) so the certificate problem is seen
 * in logs and events.
 */
export const TLS_CERTIFICATE_CODES: readonly string[] = Object.freeze([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EADDRNOTAVAIL',
  'EPROTO',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_SOCKET_CLOSED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_REQ_RETRY',
  'ERR_NETWORK',
  'ECONNRESET_BY_PEER',
  'socket hang up',
  ...TLS_HANDSHAKE_CODES,
  ...TLS_CERTIFICATE_CODES,
]);

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNABORTED', // axios reports its own `timeout` with this code
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const THROTTLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'ServerBusy',
  'rateLimitExceeded',
  'userRateLimitExceeded',
]);

const ABORT_CODES = new Set(['ABORT_ERR', 'ERR_CANCELED', 'ERR_ABORTED']);

/** The rules used when no registered classifier recognised the error. Exported for tests. */
export function builtInClassify(err: unknown): FailureKind | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as Record<string, unknown>;
  const name = typeof e.name === 'string' ? e.name : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const explicit = e.failureKind ?? e.kind;
  if (isFailureKind(explicit)) return explicit;

  if (name === 'AbortError' || (code !== undefined && ABORT_CODES.has(code))) {
    const reason = (e as { cause?: unknown }).cause;
    if (reason instanceof Error && reason.name === 'TimeoutError') return 'timeout';
    return 'aborted';
  }
  if ((code && THROTTLE_NAMES.has(code)) || (name && THROTTLE_NAMES.has(name))) return 'throttled';
  // The code wins over the name: the AWS SDK renames a reset socket (ECONNRESET) 'TimeoutError'.
  if (code && NETWORK_CODES.has(code)) return 'network';
  if ((code && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') return 'timeout';
  if (name === 'FetchError' && typeof e.errno === 'string' && NETWORK_CODES.has(e.errno)) return 'network';

  const status = httpStatusOf(e);
  if (status !== undefined) return classifyStatus(status);
  if (code === 'NoSuchKey' || code === 'NotFound' || name === 'NoSuchKey' || name === 'NotFound')
    return 'not_found';
  return undefined;
}

/** Maps an HTTP status code to a {@link FailureKind}. */
export function classifyStatus(status: number): FailureKind {
  if (status === 408) return 'timeout';
  if (status === 429) return 'throttled';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 304 || status === 409 || status === 412) return 'precondition';
  if (status === 401 || status === 403 || status === 407) return 'auth';
  if (status === 504) return 'timeout';
  if (status >= 500 && status <= 599) return status === 501 || status === 505 ? 'invalid' : 'unavailable';
  if (status >= 400 && status <= 499) return 'invalid';
  return 'unknown';
}

/** The HTTP status an error carries, from the common shapes of Node HTTP clients and cloud SDKs. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as Record<string, unknown>;
  const candidates: unknown[] = [
    e.status,
    e.statusCode,
    (e.response as Record<string, unknown> | undefined)?.status,
    (e.response as Record<string, unknown> | undefined)?.statusCode,
    (e.$metadata as Record<string, unknown> | undefined)?.httpStatusCode,
    e.code,
  ];
  for (const c of candidates) {
    if (typeof c === 'number' && Number.isInteger(c) && c >= 100 && c <= 599) return c;
  }
  return undefined;
}

const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  ...TLS_HANDSHAKE_CODES,
  ...TLS_CERTIFICATE_CODES,
]);

/**
 * True when the error proves the request never reached the server: the connection was refused,
 * the name did not resolve, the connect or the TLS handshake timed out or failed (a refused
 * certificate included: {@link TLS_CERTIFICATE_CODES}), the error says
 * so itself (`neverSent: true`, as a cloud store's connect timeout does), or the target was
 * skipped (breaker open). Only such failures let a non-idempotent call move to another target,
 * and they open a breaker sooner (`breaker.consecutiveConnectFailures`).
 */
export function failedBeforeSending(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current != null && typeof current === 'object'; depth++) {
    const e = current as Record<string, unknown>;
    if (e.name === 'BreakerOpenError' || e.neverSent === true) return true;
    if (typeof e.code === 'string' && NEVER_SENT_CODES.has(e.code)) return true;
    current = e.cause;
  }
  return false;
}

/** Codes of a connection reset or closed under a request. */
const NO_ANSWER_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * True when the connection was reset or closed before any answer came: a reset code
 * (`ECONNRESET`, `EPIPE`, `ECONNABORTED`, undici's socket errors) in the error's chain and no HTTP
 * status anywhere in it. Unlike {@link failedBeforeSending} it does not prove the request never
 * reached the target (it may have been processed), so it never lets a non-idempotent call move;
 * but it is how a target that was killed shows first, on the connections its clients had pooled,
 * before new connections are refused. A fleet counts it with connection refusals (see
 * `@failover/redis`'s `tripAfterConnect`). A timeout is not one (`ETIMEDOUT`: the target may be slow).
 */
export function failedWithoutAnswer(err: unknown): boolean {
  let reset = false;
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current != null && typeof current === 'object'; depth++) {
    if (httpStatusOf(current) !== undefined) return false;
    const code = (current as Record<string, unknown>).code;
    if (typeof code === 'string' && NO_ANSWER_CODES.has(code)) reset = true;
    current = (current as Record<string, unknown>).cause;
  }
  return reset;
}
