import { type HedgeOptions, InvalidOptionError, optionError, readOptions } from '@failover/core';
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

/**
 * Validates the HTTP-level options; throws an `InvalidOptionError` naming the bad option. Keys
 * in `routerKeys` (the core router's options, passed on to `createFailover`) are known too; any
 * other key is refused.
 */
export function resolveHttpOptions(
  options: HttpFailoverOptions,
  routerKeys: readonly string[] = [],
): ResolvedHttpOptions {
  const r = readOptions(options);
  const endpoints = r.array('endpoints', { nonEmpty: true, of: '{ name, baseURL }', required: true });
  const names = new Set<string>();
  const bases = new Set<string>();
  const resolved = endpoints.map((e: unknown, i) => {
    const at = r.at('endpoints', i);
    if (e === null || typeof e !== 'object' || Array.isArray(e))
      throw optionError(at, '{ name, baseURL }', e);
    const er = readOptions(e, at);
    const name = er.string('name', { notBlank: true, required: true });
    if (names.has(name)) er.refuse('name', `must be unique: "${name}" is used twice`);
    names.add(name);
    const baseURL = checkBaseURL(er.value('baseURL'), er.at('baseURL'));
    er.done();
    const endpoint = resolveEndpoint({ name, baseURL });
    if (bases.has(endpoint.base)) {
      er.refuse('baseURL', `must be unique: another endpoint already has the base URL ${endpoint.base}`);
    }
    bases.add(endpoint.base);
    return endpoint;
  });
  const failoverOn500 = r.bool('failoverOn500', { default: true });
  const sensitive = r.array('sensitiveHeaders', { of: 'header names' }) ?? [];
  sensitive.forEach((h, i) => {
    if (typeof h !== 'string' || !TOKEN.test(h)) {
      throw optionError(r.at('sensitiveHeaders', i), 'a header name', h);
    }
  });
  const trusted = r.array('trustedOrigins', { of: 'origins' }) ?? [];
  const origins = new Set<string>();
  trusted.forEach((o: unknown, i) => {
    const at = r.at('trustedOrigins', i);
    const url = new URL(checkBaseURL(o, at));
    if (url.pathname !== '/') {
      throw new InvalidOptionError(at, 'must be an origin (scheme://host[:port]) without a path');
    }
    origins.add(url.origin);
  });
  for (const key of routerKeys) r.value(key);
  r.done();
  return {
    endpoints: resolved,
    failoverOn500,
    sensitiveHeaders: Object.freeze([...(sensitive as string[])]),
    trustedOrigins: origins,
  };
}

/**
 * Checks a base URL or an origin and returns it. The messages never quote the value: a URL may
 * carry credentials.
 */
function checkBaseURL(value: unknown, option: string): string {
  const rule = 'an absolute http(s) URL';
  if (typeof value !== 'string' || value === '') throw optionError(option, rule, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(option, `must be ${rule} (it does not parse)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(option, `must be an http: or https: URL, got ${url.protocol}`);
  }
  if (!/^https?:\/\//i.test(value)) {
    throw new InvalidOptionError(option, 'must be an absolute URL starting with http:// or https://');
  }
  if (url.username || url.password) {
    throw new InvalidOptionError(option, 'must not contain credentials; use axios `auth` or headers');
  }
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    throw new InvalidOptionError(option, 'must not contain a query string or a fragment');
  }
  return value;
}

const isHedge = (v: unknown): v is boolean | HedgeOptions =>
  typeof v === 'boolean' ||
  (v !== null && typeof v === 'object' && typeof (v as { afterMs?: unknown }).afterMs === 'number');
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Validates per-request `failover` options; throws an `InvalidOptionError` naming
 * `failover.<option>`. Other keys are left alone: a response's `config.failover` also holds the
 * outcome (`endpoint`, `attempts`...), and a config sent again must still pass.
 */
export function validateRequestOptions(
  value: unknown,
  endpointNames: ReadonlySet<string>,
): FailoverRequestOptions {
  if (value === undefined || value === null) return {};
  const r = readOptions(value, 'failover');
  r.bool('idempotent');
  r.check('deadlineMs', isPositive, 'a positive number of milliseconds');
  r.check('hedge', isHedge, 'a boolean or { afterMs, maxHedges? }');
  const endpoints = r.array('endpoints', { nonEmpty: true, of: 'endpoint names' });
  const known = [...endpointNames];
  endpoints?.forEach((n, i) => {
    if (typeof n !== 'string' || !endpointNames.has(n)) {
      throw optionError(r.at('endpoints', i), `one of ${known.map((k) => `'${k}'`).join(', ')}`, n);
    }
  });
  return value as FailoverRequestOptions;
}
