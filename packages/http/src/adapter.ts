import type { Classifier, Failover, RunOptions } from '@failover/core';
import axios, {
  type AxiosAdapter,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { AttemptLog, type AttemptPlan } from './attempt.js';
import { isReplayableBody } from './body.js';
import { bypass } from './bypass.js';
import { guardRedirects, sensitiveSet } from './credentials.js';
import type { ResolvedEndpoint } from './endpoints.js';
import { routeOf } from './endpoints.js';
import { toAxiosError } from './errors.js';
import { isIdempotentRequest } from './methods.js';
import { type ResolvedHttpOptions, validateRequestOptions } from './options.js';
import { finalizer, outcome } from './outcome.js';
import { type CancelTokenLike, callerSignal } from './signals.js';
import { settle } from './status.js';
import type { FailoverRequestOptions } from './types.js';

/** What the failover adapter is built from. */
export interface FailoverAdapterOptions {
  /** The router over the endpoints. */
  readonly router: Failover<ResolvedEndpoint>;
  /** The validated HTTP-level options. */
  readonly http: ResolvedHttpOptions;
  /** The adapter the instance had before (name, function or list); `undefined` for axios' default. */
  readonly inner: AxiosRequestConfig['adapter'];
  /** The router's `classify` option, to classify attempts the same way. */
  readonly classify: Classifier | undefined;
}

/**
 * An axios adapter that sends each attempt of a request through the instance's original adapter
 * to one endpoint, and lets the failover router pick the endpoints, retry, hedge and fail over.
 * axios runs its request interceptors and transforms once before the adapter and its response
 * interceptors once after it, so they run once per logical request whatever happens inside.
 */
export function createFailoverAdapter(options: FailoverAdapterOptions): AxiosAdapter {
  const { router, http } = options;
  const names = new Set(http.endpoints.map((e) => e.name));
  const endpointOrigins = new Set(http.endpoints.map((e) => e.origin));
  const mayReceive = (origin: string) => endpointOrigins.has(origin) || http.trustedOrigins.has(origin);

  return async function failoverAdapter(config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
    const requestOptions = validateRequestOptions(config.failover, names);
    const inner = axios.getAdapter(options.inner ?? axios.defaults.adapter, config);
    const route = routeOf(config.url, config.allowAbsoluteUrls, http.endpoints, http.trustedOrigins);
    const sensitive = sensitiveSet(http.sensitiveHeaders, config.sensitiveHeaders);
    const keepProxyAuth = typeof config.proxy === 'object' && config.proxy !== null;
    const beforeRedirect = guardRedirects(config.beforeRedirect, mayReceive, sensitive, keepProxyAuth);
    const redact = [...new Set([...(config.redact ?? []), ...sensitive, 'auth'])];

    if (route.kind === 'bypass') {
      const idempotent = isIdempotentRequest(config.method, config.headers, requestOptions.idempotent);
      return bypass(config, route, { inner, beforeRedirect, redact, sensitive, requestOptions, idempotent });
    }

    const replayable = isReplayableBody(config.data);
    const idempotent =
      replayable && isIdempotentRequest(config.method, config.headers, requestOptions.idempotent);
    const plan: AttemptPlan = {
      config,
      path: route.path,
      inner,
      beforeRedirect,
      redact,
      failoverOn500: http.failoverOn500,
      classify: options.classify,
    };
    const log = new AttemptLog(plan);
    const caller = callerSignal(config.signal, config.cancelToken as CancelTokenLike | undefined);
    const runOptions = toRunOptions(requestOptions, idempotent, replayable, caller.signal);
    const finalize = finalizer(config, requestOptions, redact, () => outcome(log, undefined, idempotent));

    let response: AxiosResponse;
    try {
      response = await router.run((endpoint, context) => log.send(endpoint, context.signal), runOptions);
    } catch (err) {
      log.discardExcept(undefined);
      throw toAxiosError(err, finalize, config);
    } finally {
      caller.dispose();
    }
    log.discardExcept(response);
    const served = log.served.get(response);
    const done = finalizer(config, requestOptions, redact, () => outcome(log, served, idempotent));
    const finalConfig = done(response.config);
    response.config = finalConfig;
    return settle(response, finalConfig);
  };
}

/**
 * The router options of one request. A stream body is read by the first attempt, so such a
 * request runs with `replayable: false`: one attempt on the first endpoint that takes calls, and
 * its own error back, even after a refused connection.
 */
function toRunOptions(
  o: FailoverRequestOptions,
  idempotent: boolean,
  replayable: boolean,
  signal: AbortSignal | undefined,
): RunOptions {
  const run: RunOptions = { idempotent };
  if (!replayable) run.replayable = false;
  if (signal !== undefined) run.signal = signal;
  if (o.deadlineMs !== undefined) run.deadlineMs = o.deadlineMs;
  if (o.endpoints !== undefined) run.targets = o.endpoints;
  if (o.hedge === false) run.hedge = false;
  else if (typeof o.hedge === 'object') run.hedge = o.hedge;
  return run;
}
