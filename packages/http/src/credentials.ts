import type { AxiosHeaders } from 'axios';

/** Request headers that always carry credentials. */
export const DEFAULT_SENSITIVE_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
]);

/** The lower-cased set of sensitive headers: the defaults, the client's and axios' per-request ones. */
export function sensitiveSet(
  clientHeaders: readonly string[],
  requestHeaders: readonly unknown[] | undefined,
): Set<string> {
  const set = new Set([...DEFAULT_SENSITIVE_HEADERS, ...clientHeaders.map((h) => h.toLowerCase())]);
  for (const h of requestHeaders ?? []) if (typeof h === 'string') set.add(h.toLowerCase());
  return set;
}

/** Deletes every sensitive header from axios headers (in place). */
export function stripAxiosHeaders(headers: AxiosHeaders, sensitive: ReadonlySet<string>): void {
  for (const name of Object.keys(headers.toJSON())) {
    if (sensitive.has(name.toLowerCase())) headers.delete(name);
  }
}

/** Deletes every sensitive header from a plain header object, as follow-redirects holds them (in place). */
export function stripPlainHeaders(
  headers: Record<string, unknown> | undefined,
  sensitive: ReadonlySet<string>,
): void {
  if (!headers) return;
  for (const name of Object.keys(headers)) {
    if (sensitive.has(name.toLowerCase())) delete headers[name];
  }
}

/** The signature of axios' `beforeRedirect` hook (Node's http adapter, through follow-redirects). */
export type BeforeRedirect = (
  options: Record<string, unknown>,
  responseDetails: { headers: Record<string, string>; statusCode: number },
  requestDetails: { headers: Record<string, string>; url: string; method: string },
) => void;

/**
 * Wraps the caller's `beforeRedirect`: after it runs, a redirect to an origin that `mayReceive`
 * refuses loses every sensitive header and basic-auth credentials. `keepProxyAuthorization` leaves
 * `Proxy-Authorization` alone when axios itself sets it for a configured proxy.
 */
export function guardRedirects(
  userHook: BeforeRedirect | undefined,
  mayReceive: (origin: string) => boolean,
  sensitive: ReadonlySet<string>,
  keepProxyAuthorization: boolean,
): BeforeRedirect {
  const strip = new Set(sensitive);
  if (keepProxyAuthorization) strip.delete('proxy-authorization');
  return (options, responseDetails, requestDetails) => {
    userHook?.(options, responseDetails, requestDetails);
    const origin = redirectOrigin(options);
    if (origin !== undefined && mayReceive(origin)) return;
    stripPlainHeaders(options.headers as Record<string, unknown> | undefined, strip);
    delete options.auth;
  };
}

function redirectOrigin(options: Record<string, unknown>): string | undefined {
  const href = options.href;
  if (typeof href === 'string') {
    try {
      return new URL(href).origin;
    } catch {
      return undefined;
    }
  }
  const protocol = typeof options.protocol === 'string' ? options.protocol : undefined;
  const host = typeof options.host === 'string' ? options.host : undefined;
  if (!protocol || !host) return undefined;
  try {
    return new URL(`${protocol}//${host}`).origin;
  } catch {
    return undefined;
  }
}
