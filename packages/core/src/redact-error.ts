import { FailoverError } from './errors.js';
import { isFailureKind } from './failure-kind.js';
import { redact } from './redact.js';
import { retryAfterMs } from './retry-after.js';

const MAX_DEPTH = 8;

/** Fields copied as they are when they hold a number or a boolean (strings are redacted). */
const SCALAR_FIELDS = [
  'code',
  'errno',
  'syscall',
  'status',
  'statusCode',
  'Code',
  '$fault',
  'neverSent',
  'reason',
  'address',
  'port',
  'failureKind',
] as const;

/** Fields of the AWS SDK's `$metadata` that say what happened and hold no credential. */
const METADATA_FIELDS = [
  'httpStatusCode',
  'requestId',
  'extendedRequestId',
  'cfId',
  'attempts',
  'totalRetryDelay',
];

/**
 * A copy of a provider's error that is safe to keep as the `cause` of a library error: the same
 * `name`, with `message` and `stack` redacted (see {@link redact}), and only the fields that say
 * what happened — `code`, `errno`, `syscall`, the HTTP status (`status`, `statusCode`, AWS
 * `$metadata.httpStatusCode`, `$fault`, `Code`), Azure's `details.errorCode`, the JSON API's
 * `errors[].reason`, the server's `Retry-After` hint as `retryAfterMs`, and its own `cause`, copied
 * the same way. The SDK's request, response and config objects (which hold `Authorization`
 * headers, OAuth tokens and signed URLs) are left out, so `util.inspect(err, { depth: Infinity })`
 * of a library error shows no credential. Classification (`classifyFailure`, provider
 * classifiers), `retryAfterMs` and `failedBeforeSending` give the same answers for the copy.
 *
 * An error that holds nothing to remove (only the fields above, a message and stack `redact`
 * leaves alone, and such a `cause`; e.g. a socket error or your own body stream's error) is
 * returned as it is, as are the library's own errors; a string is redacted; other values are
 * returned unchanged.
 */
export function redactError(err: unknown): unknown {
  return isClean(err, 0) ? err : copyOf(err, 0);
}

/** Own properties an error may have and still be kept as it is (when their values are clean). */
const KEPT_AS_IS = new Set<string>([
  ...SCALAR_FIELDS,
  'name',
  'message',
  'stack',
  'cause',
  'hostname',
  'retryAfterMs',
  'kind',
]);

function isClean(err: unknown, depth: number): boolean {
  if (err === null || typeof err !== 'object') return typeof err !== 'string' || redact(err) === err;
  if (err instanceof FailoverError) return true;
  if (depth >= MAX_DEPTH) return false;
  const source = err as Record<string, unknown>;
  for (const key of Reflect.ownKeys(err)) {
    if (typeof key !== 'string' || !KEPT_AS_IS.has(key)) return false;
  }
  for (const key of ['message', 'stack', 'code', 'reason', 'hostname']) {
    const v = source[key];
    if (typeof v === 'string' && redact(v) !== v) return false;
  }
  return source.cause === undefined || isClean(source.cause, depth + 1);
}

function copyOf(err: unknown, depth: number): unknown {
  if (typeof err === 'string') return redact(err);
  if (err === null || typeof err !== 'object') return err;
  if (err instanceof FailoverError) return err;
  const source = err as Record<string, unknown>;
  const message = typeof source.message === 'string' ? source.message : '';
  const copy = new Error(redact(message)) as Error & Record<string, unknown>;
  const name = typeof source.name === 'string' ? source.name : err instanceof Error ? err.name : 'Error';
  Object.defineProperty(copy, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  copy.stack = typeof source.stack === 'string' ? redact(source.stack) : `${name}: ${copy.message}`;
  for (const field of SCALAR_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') copy[field] = redact(value);
    else if (typeof value === 'number' || typeof value === 'boolean') copy[field] = value;
  }
  const status = statusOf(source);
  if (copy.status === undefined && status !== undefined) copy.status = status;
  copyMetadata(source, copy);
  copyDetails(source, copy);
  copyErrors(source, copy, depth);
  const hint = retryAfterMs(err);
  if (hint !== undefined) copy.retryAfterMs = hint;
  if (typeof source.kind === 'string' && isFailureKind(source.kind)) copy.kind = source.kind;
  if (source.cause !== undefined) {
    copy.cause = depth + 1 < MAX_DEPTH ? copyOf(source.cause, depth + 1) : '[cause chain cut]';
  }
  return copy;
}

function statusOf(source: Record<string, unknown>): number | undefined {
  const response = record(source.response);
  for (const c of [response?.status, response?.statusCode]) {
    if (typeof c === 'number' && Number.isInteger(c) && c >= 100 && c <= 599) return c;
  }
  return undefined;
}

function copyMetadata(source: Record<string, unknown>, copy: Record<string, unknown>): void {
  const meta = record(source.$metadata);
  if (!meta) return;
  const out: Record<string, unknown> = {};
  for (const f of METADATA_FIELDS) {
    const v = meta[f];
    if (typeof v === 'number') out[f] = v;
    else if (typeof v === 'string') out[f] = redact(v);
  }
  copy.$metadata = out;
}

/** Azure's `details` (parsed from the error body): only its error code. */
function copyDetails(source: Record<string, unknown>, copy: Record<string, unknown>): void {
  const details = record(source.details);
  if (!details) return;
  const out: Record<string, string> = {};
  for (const f of ['errorCode', 'code']) {
    const v = details[f];
    if (typeof v === 'string') out[f] = redact(v);
  }
  copy.details = out;
}

/**
 * The JSON API's error list (`errors`, or `response.data.error.errors` on gaxios errors) as
 * `{ reason, domain, message }` items; the errors of an `AggregateError` are copied as errors.
 */
function copyErrors(source: Record<string, unknown>, copy: Record<string, unknown>, depth: number): void {
  const list = Array.isArray(source.errors)
    ? source.errors
    : record(record(record(source.response)?.data)?.error)?.errors;
  if (!Array.isArray(list)) return;
  copy.errors = list.slice(0, 20).map((item: unknown) => {
    if (item instanceof Error) return depth + 1 < MAX_DEPTH ? copyOf(item, depth + 1) : item.name;
    const rec = record(item);
    if (!rec) return typeof item === 'string' ? redact(item) : item;
    const out: Record<string, string> = {};
    for (const f of ['reason', 'domain', 'message', 'locationType', 'location']) {
      const v = rec[f];
      if (typeof v === 'string') out[f] = redact(v);
    }
    return out;
  });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}
