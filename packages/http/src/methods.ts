import type { AxiosHeaders } from 'axios';

/** Methods that are safe to replay on another endpoint (RFC 9110 idempotent methods, plus QUERY). */
const IDEMPOTENT_METHODS = new Set(['get', 'head', 'options', 'put', 'delete', 'trace', 'query']);

/**
 * Whether a request may be replayed after it may have reached a server: an explicit
 * `failover.idempotent` wins; otherwise GET, HEAD, OPTIONS, PUT, DELETE, TRACE and QUERY are, and
 * any other method (POST, PATCH) is only when it carries an `Idempotency-Key` header.
 */
export function isIdempotentRequest(
  method: string | undefined,
  headers: AxiosHeaders,
  explicit: boolean | undefined,
): boolean {
  if (explicit !== undefined) return explicit;
  if (IDEMPOTENT_METHODS.has((method ?? 'get').toLowerCase())) return true;
  const key = headers.get('Idempotency-Key');
  return typeof key === 'string' ? key.trim() !== '' : key != null && key !== false;
}
