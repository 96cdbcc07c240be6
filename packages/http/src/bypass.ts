import { type AxiosAdapter, AxiosHeaders, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { stripAxiosHeaders } from './credentials.js';
import type { Route } from './endpoints.js';
import { toAxiosError } from './errors.js';
import { finalizer } from './outcome.js';
import type { FailoverOutcome, FailoverRequestOptions } from './types.js';

/** What {@link bypass} needs from the adapter. */
export interface BypassContext {
  readonly inner: AxiosAdapter;
  readonly beforeRedirect: NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;
  readonly redact: string[];
  readonly sensitive: ReadonlySet<string>;
  readonly requestOptions: FailoverRequestOptions;
  readonly idempotent: boolean;
}

/**
 * An absolute URL outside the endpoints: sent once, as is, through the original adapter (which
 * applies the caller's `validateStatus` itself). Credentials stay behind unless the origin is an
 * endpoint's or a trusted one.
 */
export async function bypass(
  config: InternalAxiosRequestConfig,
  route: Extract<Route, { kind: 'bypass' }>,
  ctx: BypassContext,
): Promise<AxiosResponse> {
  const headers = new AxiosHeaders(config.headers);
  if (!route.trusted) stripAxiosHeaders(headers, ctx.sensitive);
  const attemptConfig: InternalAxiosRequestConfig = {
    ...config,
    url: route.url,
    baseURL: undefined,
    headers,
    auth: route.trusted ? config.auth : undefined,
    beforeRedirect: ctx.beforeRedirect,
    redact: ctx.redact,
  };
  const result: FailoverOutcome = {
    endpoint: undefined,
    baseURL: undefined,
    attempts: 1,
    endpointsTried: [],
    failures: [],
    hedged: false,
    idempotent: ctx.idempotent,
    route: 'bypass',
  };
  const finalize = finalizer(config, ctx.requestOptions, ctx.redact, () => result);
  try {
    const response = await ctx.inner(attemptConfig);
    response.config = finalize(response.config);
    return response;
  } catch (err) {
    throw toAxiosError(err, finalize, config);
  }
}
