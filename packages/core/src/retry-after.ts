const MAX_DEPTH = 8;

/**
 * The server's "retry after" hint carried by an error, in milliseconds, or `undefined`.
 *
 * Looks for `retryAfterMs` on the error, then for `Retry-After` (seconds or an HTTP date),
 * `retry-after-ms` and `x-ms-retry-after-ms` headers on the shapes used by axios, the AWS SDK
 * (`$response`), Azure (`response.headers.get`) and fetch, following the `cause` chain.
 */
export function retryAfterMs(err: unknown, now: number = Date.now()): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && current != null && typeof current === 'object'; depth++) {
    const e = current as Record<string, unknown>;
    if (typeof e.retryAfterMs === 'number' && Number.isFinite(e.retryAfterMs) && e.retryAfterMs >= 0) {
      return e.retryAfterMs;
    }
    const sources = [
      (e.response as Record<string, unknown> | undefined)?.headers,
      (e.$response as Record<string, unknown> | undefined)?.headers,
      e.headers,
    ];
    for (const headers of sources) {
      const ms = fromHeaders(headers, now);
      if (ms !== undefined) return ms;
    }
    current = e.cause;
  }
  return undefined;
}

function fromHeaders(headers: unknown, now: number): number | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const ms = header(headers, 'retry-after-ms') ?? header(headers, 'x-ms-retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const value = header(headers, 'retry-after');
  return value === undefined ? undefined : parseRetryAfter(value, now);
}

function header(headers: object, name: string): string | undefined {
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    const v = (getter as (n: string) => unknown).call(headers, name);
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
  }
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return undefined;
}

/**
 * Parses a `Retry-After` value: delay-seconds (`"120"`) or an HTTP date. Returns milliseconds
 * from `now` (never negative), or `undefined` when the value is neither.
 */
export function parseRetryAfter(value: string, now: number = Date.now()): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
