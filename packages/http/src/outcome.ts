import type { InternalAxiosRequestConfig } from 'axios';
import type { AttemptLog } from './attempt.js';
import type { ResolvedEndpoint } from './endpoints.js';
import type { Finalize } from './errors.js';
import type { FailoverOutcome, FailoverRequestOptions } from './types.js';

/** What failover did for a request routed through the endpoints. */
export function outcome(
  log: AttemptLog,
  served: ResolvedEndpoint | undefined,
  idempotent: boolean,
): FailoverOutcome {
  return {
    endpoint: served?.name,
    baseURL: served?.baseURL,
    attempts: log.tried.length,
    endpointsTried: [...log.tried],
    failures: [...log.failures],
    hedged: log.hedged,
    idempotent,
    route: 'failover',
  };
}

/**
 * Builds the config the caller sees on the response or error: the attempt's config (the endpoint's
 * `baseURL`, the headers sent) with the caller's own `validateStatus`, `signal` and
 * `beforeRedirect` back, `failover` holding the request options and the outcome, and the
 * sensitive headers and `auth` in axios' `redact` list (so `error.toJSON()` leaves them out).
 */
export function finalizer(
  original: InternalAxiosRequestConfig,
  requestOptions: FailoverRequestOptions,
  redact: readonly string[],
  result: () => FailoverOutcome,
): Finalize {
  return (config) => {
    const base = config ?? original;
    return {
      ...base,
      redact: [...redact],
      validateStatus: original.validateStatus,
      signal: original.signal,
      beforeRedirect: original.beforeRedirect,
      failover: { ...requestOptions, ...result() },
    };
  };
}
