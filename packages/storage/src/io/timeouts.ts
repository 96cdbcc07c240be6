import { readOptions } from '@failover/core';
import { InvalidArgumentError } from '../errors.js';

/**
 * Bounds on each HTTP request a cloud store sends, so that no call hangs on a connection that
 * stopped answering. Every bound is progress-based: a 1 GiB upload or download that keeps moving
 * is never cut, however long it takes; only silence is. Each value is in milliseconds; `0` turns
 * that bound off.
 *
 * Given as the `timeouts` option of a cloud store (S3, GCS, Azure Blob) and, per call, as
 * `timeouts` in the operation's options (fields given there replace the store's).
 */
export interface IoTimeouts {
  /**
   * Longest wait for the TCP connection once the request has a socket (a request queued for a
   * free socket in the client's pool is not counted). Exceeding it fails the call with
   * `kind: 'timeout'` and `code: 'ETIMEDOUT'`. Default 1000.
   */
  connectTimeoutMs?: number;
  /**
   * Longest wait for the response headers once the whole request (body included) was handed to
   * the operating system. Exceeding it fails the call with `kind: 'timeout'`. Default 2000 (AWS's
   * own advice for latency-sensitive S3 requests is to retry those slower than 2 s).
   */
  responseTimeoutMs?: number;
  /**
   * Longest silence while bytes are due in either direction: request bytes waiting to be sent
   * that the connection does not take, or a response body that stops arriving while the reader
   * waits for it (a reader that is not reading is never the server's fault). Exceeding it fails
   * the call (or the body stream) with `kind: 'network'`. Default 2000.
   */
  idleTimeoutMs?: number;
  /**
   * Replaces `responseTimeoutMs` and `idleTimeoutMs` for the requests that make the cloud assemble
   * an object from what it already holds (S3 CompleteMultipartUpload, Azure Put Block List):
   * some servers answer those only once the whole object is written, in time that grows with its
   * size (s3rver takes seconds for 256 MiB; AWS S3 itself answers at once and keeps the
   * connection alive with white space). Default 30 000.
   */
  commitTimeoutMs?: number;
}

/** {@link IoTimeouts} with every field set. */
export type ResolvedIoTimeouts = Readonly<Required<IoTimeouts>>;

/**
 * The defaults of {@link IoTimeouts}: connect 1 s, response headers 2 s, idle body 2 s, commits
 * of multipart uploads 30 s.
 */
export const DEFAULT_IO_TIMEOUTS: ResolvedIoTimeouts = Object.freeze({
  connectTimeoutMs: 1000,
  responseTimeoutMs: 2000,
  idleTimeoutMs: 2000,
  commitTimeoutMs: 30_000,
});

/** The largest timeout a timer can hold (about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const FIELDS = ['connectTimeoutMs', 'responseTimeoutMs', 'idleTimeoutMs', 'commitTimeoutMs'] as const;

/**
 * Validates a store's `timeouts` option and returns it with defaults filled in. Throws
 * `InvalidOptionError` naming the exact option (`timeouts.idleTimeoutMs`).
 */
export function resolveIoTimeouts(value: unknown, path = 'timeouts'): ResolvedIoTimeouts {
  const r = readOptions(value, path, true);
  const out = { ...DEFAULT_IO_TIMEOUTS };
  for (const name of FIELDS) {
    out[name] = r.int(name, { min: 0, minLabel: 'off', max: MAX_TIMEOUT_MS, default: out[name] });
  }
  r.done();
  return Object.freeze(out);
}

/**
 * The timeouts of one call: the store's, with the fields of the call's own `timeouts` option in
 * their place. Throws `InvalidArgumentError` naming the exact argument (`timeouts.connectTimeoutMs`).
 */
export function operationIoTimeouts(
  store: ResolvedIoTimeouts,
  value: unknown,
  key?: string,
): ResolvedIoTimeouts {
  if (value === undefined) return store;
  return merge(store, value, 'timeouts', (argument, message) =>
    key === undefined
      ? new InvalidArgumentError(argument, message)
      : new InvalidArgumentError(argument, message, { key }),
  );
}

function merge(
  base: ResolvedIoTimeouts,
  value: unknown,
  path: string,
  error: (path: string, message: string) => Error,
): ResolvedIoTimeouts {
  if (value === undefined) return base;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw error(path, `must be an object such as { idleTimeoutMs: 5000 } (${FIELDS.join(', ')})`);
  }
  for (const name of Object.keys(value)) {
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw error(`${path}.${name}`, `is not a timeout option (${FIELDS.join(', ')})`);
    }
  }
  const out = { ...base };
  for (const name of FIELDS) {
    const v = (value as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_MS) {
      throw error(
        `${path}.${name}`,
        `must be an integer number of milliseconds from 0 (off) to ${MAX_TIMEOUT_MS}, got ${String(v)}`,
      );
    }
    out[name] = v;
  }
  return Object.freeze(out);
}
