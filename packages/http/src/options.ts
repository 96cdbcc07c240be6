import { InvalidOptionError } from '@failover/core';
import { type ResolvedEndpoint, resolveEndpoint } from './endpoints.js';
import type { FailoverRequestOptions, HttpFailoverOptions } from './types.js';

/** The HTTP-level options, validated, with defaults filled in. */
export interface ResolvedHttpOptions {
  readonly endpoints: readonly ResolvedEndpoint[];
  readonly failoverOn500: boolean;
  readonly sensitiveHeaders: readonly string[];
  readonly trustedOrigins: ReadonlySet<string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Validates the HTTP-level options; throws an `InvalidOptionError` naming the bad option. */
export function resolveHttpOptions(options: HttpFailoverOptions): ResolvedHttpOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'expected an object with at least `endpoints`');
  }
  const { endpoints } = options;
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new InvalidOptionError('endpoints', 'expected a non-empty array of { name, baseURL }');
  }
  const names = new Set<string>();
  const bases = new Set<string>();
  const resolved = endpoints.map((e: unknown, i) => {
    const at = `endpoints[${i}]`;
    if (e === null || typeof e !== 'object') throw new InvalidOptionError(at, 'expected { name, baseURL }');
    const { name, baseURL } = e as { name?: unknown; baseURL?: unknown };
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidOptionError(`${at}.name`, 'expected a non-empty string');
    }
    if (names.has(name)) throw new InvalidOptionError(`${at}.name`, `duplicate endpoint name "${name}"`);
    names.add(name);
    validateBaseURL(baseURL, `${at}.baseURL`);
    const endpoint = resolveEndpoint({ name, baseURL: baseURL as string });
    if (bases.has(endpoint.base)) {
      throw new InvalidOptionError(
        `${at}.baseURL`,
        `another endpoint already has the base URL ${endpoint.base}`,
      );
    }
    bases.add(endpoint.base);
    return endpoint;
  });

  if (options.failoverOn500 !== undefined && typeof options.failoverOn500 !== 'boolean') {
    throw new InvalidOptionError('failoverOn500', 'expected a boolean');
  }
  const sensitive = options.sensitiveHeaders ?? [];
  if (!Array.isArray(sensitive) || sensitive.some((h) => typeof h !== 'string' || !TOKEN.test(h))) {
    throw new InvalidOptionError('sensitiveHeaders', 'expected an array of header names');
  }
  const trusted = options.trustedOrigins ?? [];
  if (!Array.isArray(trusted)) throw new InvalidOptionError('trustedOrigins', 'expected an array of origins');
  const origins = new Set<string>();
  trusted.forEach((o: unknown, i) => {
    const at = `trustedOrigins[${i}]`;
    validateBaseURL(o, at);
    const url = new URL(o as string);
    if (url.pathname !== '/')
      throw new InvalidOptionError(at, 'expected an origin (scheme://host[:port]) without a path');
    origins.add(url.origin);
  });

  return {
    endpoints: resolved,
    failoverOn500: options.failoverOn500 ?? true,
    sensitiveHeaders: Object.freeze([...sensitive]),
    trustedOrigins: origins,
  };
}

function validateBaseURL(value: unknown, option: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError(option, 'expected an absolute http(s) URL string');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(option, 'expected an absolute http(s) URL (it does not parse)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(option, `expected an http: or https: URL, got ${url.protocol}`);
  }
  if (!/^https?:\/\//i.test(value)) {
    throw new InvalidOptionError(option, 'expected an absolute URL starting with http:// or https://');
  }
  if (url.username || url.password) {
    throw new InvalidOptionError(option, 'must not contain credentials; use axios `auth` or headers');
  }
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    throw new InvalidOptionError(option, 'must not contain a query string or a fragment');
  }
}

/** Validates per-request `failover` options; throws an `InvalidOptionError` naming `failover.<option>`. */
export function validateRequestOptions(
  value: unknown,
  endpointNames: ReadonlySet<string>,
): FailoverRequestOptions {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new InvalidOptionError('failover', 'expected an object');
  const o = value as Record<string, unknown>;
  if (o.idempotent !== undefined && typeof o.idempotent !== 'boolean') {
    throw new InvalidOptionError('failover.idempotent', 'expected a boolean');
  }
  if (
    o.deadlineMs !== undefined &&
    (typeof o.deadlineMs !== 'number' || !Number.isFinite(o.deadlineMs) || o.deadlineMs <= 0)
  ) {
    throw new InvalidOptionError('failover.deadlineMs', 'expected a positive number of milliseconds');
  }
  if (o.hedge !== undefined && typeof o.hedge !== 'boolean') {
    const h = o.hedge as { afterMs?: unknown } | null;
    if (h === null || typeof h !== 'object' || typeof h.afterMs !== 'number') {
      throw new InvalidOptionError('failover.hedge', 'expected a boolean or { afterMs, maxHedges? }');
    }
  }
  if (o.endpoints !== undefined) {
    if (!Array.isArray(o.endpoints) || o.endpoints.length === 0) {
      throw new InvalidOptionError('failover.endpoints', 'expected a non-empty array of endpoint names');
    }
    for (const n of o.endpoints) {
      if (typeof n !== 'string' || !endpointNames.has(n)) {
        throw new InvalidOptionError('failover.endpoints', `unknown endpoint ${JSON.stringify(n)}`);
      }
    }
  }
  return o as FailoverRequestOptions;
}
