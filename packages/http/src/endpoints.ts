import type { Endpoint } from './types.js';

/** An endpoint with its base URL parsed once. */
export interface ResolvedEndpoint extends Endpoint {
  /** `scheme://host[:port]`, lower-cased, default port dropped. */
  readonly origin: string;
  /** The base URL without a trailing slash, e.g. `https://api.example.com/v1`. */
  readonly base: string;
}

/** Where one logical request goes: through the endpoints, or once to a URL outside them. */
export type Route =
  | { readonly kind: 'failover'; readonly path: string }
  | { readonly kind: 'bypass'; readonly url: string; readonly origin: string; readonly trusted: boolean };

/** Parses an endpoint whose base URL was already validated. */
export function resolveEndpoint(endpoint: Endpoint): ResolvedEndpoint {
  const url = new URL(endpoint.baseURL);
  const path = url.pathname.replace(/\/+$/, '');
  return { name: endpoint.name, baseURL: endpoint.baseURL, origin: url.origin, base: `${url.origin}${path}` };
}

const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** True for what axios treats as an absolute URL (`scheme://...` or `//host/...`). */
export function isAbsoluteUrl(url: string): boolean {
  return ABSOLUTE.test(url);
}

/**
 * Decides where a request goes. A relative URL (or any URL when axios' `allowAbsoluteUrls` is
 * `false`) goes through the endpoints. An absolute URL under an endpoint's base URL is re-based:
 * its path below that base goes through the endpoints. Any other absolute URL bypasses failover;
 * it is `trusted` (may carry credentials) when its origin is an endpoint's or a trusted origin.
 */
export function routeOf(
  url: string | undefined,
  allowAbsoluteUrls: boolean | undefined,
  endpoints: readonly ResolvedEndpoint[],
  trustedOrigins: ReadonlySet<string>,
): Route {
  const raw = url ?? '';
  if (!isAbsoluteUrl(raw) || allowAbsoluteUrls === false) return { kind: 'failover', path: raw };
  const first = endpoints[0];
  const parsed = new URL(raw, first?.baseURL);
  const href = parsed.href;
  for (const e of endpoints) {
    if (parsed.origin !== e.origin) continue;
    const rest = href.slice(e.base.length);
    if (href.startsWith(e.base) && (rest === '' || /^[/?#]/.test(rest))) {
      return { kind: 'failover', path: rest };
    }
  }
  const trusted = trustedOrigins.has(parsed.origin) || endpoints.some((e) => e.origin === parsed.origin);
  return { kind: 'bypass', url: href, origin: parsed.origin, trusted };
}

/** The origin of a URL, or `undefined` when it does not parse. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
