import type { FailureKind, HedgeOptions } from '@failover/core';

/** One place the same API is served from: a region of a cloud, another cloud, another data centre. */
export interface Endpoint {
  /** A unique name, used in events, status, errors and `response.config.failover.endpoint`. */
  readonly name: string;
  /**
   * The absolute `http:` or `https:` base URL of this endpoint, e.g. `https://api.use1.example.com/v1`.
   * Relative request URLs are resolved against it the way axios resolves them against `baseURL`.
   * It carries no credentials, query or fragment.
   */
  readonly baseURL: string;
}

/** The options that belong to the HTTP layer (the rest go to `@failover/core`'s `createFailover`). */
export interface HttpFailoverOptions {
  /** The endpoints, in order of preference. At least one; names and base URLs are unique. */
  readonly endpoints: readonly Endpoint[];
  /**
   * Whether an HTTP 500 is an outage (the call moves to the next endpoint and the endpoint's
   * breaker counts it) or an answer (returned to axios untouched). Default `true`: during a
   * cloud brown-out 500s come from the provider's front ends as often as 503s.
   */
  readonly failoverOn500?: boolean;
  /**
   * Extra request headers that carry credentials (case-insensitive), added to `Authorization`,
   * `Proxy-Authorization` and `Cookie` (and to axios' own per-request `sensitiveHeaders`). None of
   * them is ever sent to an origin that is not an endpoint or a `trustedOrigins` entry, redirects
   * included.
   */
  readonly sensitiveHeaders?: readonly string[];
  /**
   * Origins (`https://auth.example.com`) that are not endpoints but may receive credentials.
   * Requests to them bypass failover like any foreign absolute URL, but keep their sensitive headers.
   */
  readonly trustedOrigins?: readonly string[];
}

/** Per-request failover options, given as `failover` in an axios request config. */
export interface FailoverRequestOptions {
  /**
   * Whether the request may be replayed on another endpoint after it may have reached a server.
   * Default: `true` for GET, HEAD, OPTIONS, PUT, DELETE (and TRACE, QUERY); for POST and PATCH,
   * `true` only when the request has an `Idempotency-Key` header. `false` also makes a GET
   * non-idempotent.
   */
  idempotent?: boolean;
  /** A deadline for the whole logical request, every attempt and wait included, in milliseconds. */
  deadlineMs?: number;
  /**
   * Hedging for this request: `false` turns it off, `true` (or leaving it out) keeps the client's
   * `hedge` setting, `{ afterMs, maxHedges? }` replaces it. Hedging only ever applies to idempotent
   * requests with a replayable body.
   */
  hedge?: boolean | HedgeOptions;
  /** Restricts this request to these endpoints (by name), in this order. */
  endpoints?: readonly string[];
}

/** One failed attempt of a logical request, as listed in {@link FailoverOutcome.failures}. */
export interface AttemptFailure {
  /** The endpoint's name. */
  readonly endpoint: string;
  /** The failure kind core classified it as. */
  readonly kind: FailureKind;
  /** The HTTP status, when the endpoint answered with one. */
  readonly status?: number;
  /** The error code (`ECONNREFUSED`, `ENOTFOUND`, `ECONNABORTED`, `ERR_BAD_RESPONSE`...), when there is one. */
  readonly code?: string;
  /** A short description, credentials removed. */
  readonly message: string;
}

/**
 * What failover did for a request: found on `response.config.failover` (and on the config of an
 * error axios rejects with), next to the per-request options the caller gave.
 */
export interface FailoverOutcome {
  /** The endpoint that served the response, or `undefined` when none did. */
  readonly endpoint: string | undefined;
  /** The base URL of that endpoint. */
  readonly baseURL: string | undefined;
  /** Attempts started for this request, hedges included. */
  readonly attempts: number;
  /** Every endpoint an attempt was started on, in order (an endpoint retried appears again). */
  readonly endpointsTried: readonly string[];
  /** Failed attempts, in the order they failed (aborted hedge losers are not listed). */
  readonly failures: readonly AttemptFailure[];
  /** True when a hedge was started for this request. */
  readonly hedged: boolean;
  /** Whether the request was treated as idempotent (replayable on another endpoint). */
  readonly idempotent: boolean;
  /**
   * `failover` for a request routed through the endpoints; `bypass` for an absolute URL outside
   * the endpoints, sent once as is.
   */
  readonly route: 'failover' | 'bypass';
}

/** The `failover` field of a config as axios' interceptors and responses see it. */
export type FailoverConfigField = FailoverRequestOptions & Partial<FailoverOutcome>;
