import { AllTargetsFailedError, type Classifier, type Failover, type RunOptions } from '@failover/core';
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
import { EndpointError } from './endpoint-error.js';
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
    if (!replayable) {
      // One attempt only: on the first endpoint that takes calls (see NotReplayableError).
      const candidates = requestOptions.endpoints ?? http.endpoints.map((e) => e.name);
      const first = candidates.find((name) => router.isAvailable(name));
      if (first !== undefined) runOptions.targets = [first];
    }
    let started = 0;
    const finalize = finalizer(config, requestOptions, redact, () => outcome(log, undefined, idempotent));

    let response: AxiosResponse;
    try {
      response = await router.run((endpoint, context) => {
        if (!replayable && started > 0) throw new NotReplayableError(log);
        started++;
        return log.send(endpoint, context.signal);
      }, runOptions);
    } catch (err) {
      log.discardExcept(undefined);
      const cause = err instanceof NotReplayableError ? err.first : replayable ? err : onlyFailure(err);
      throw toAxiosError(cause, finalize, config);
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
 * Thrown instead of a second attempt when the body was a stream the first attempt consumed (core
 * may retry a call that provably never reached the server, but the stream is gone). The call is
 * limited to one endpoint, so this only ever replaces a retry on that same endpoint; the adapter
 * rethrows the first attempt's error in its place.
 */
class NotReplayableError extends Error {
  readonly first: unknown;
  constructor(log: AttemptLog) {
    super('The request body is a stream and cannot be sent again');
    this.name = 'NotReplayableError';
    this.first = log.lastError;
  }
}

/** A call limited to one endpoint failed there: that attempt's own error rather than a list of one. */
function onlyFailure(err: unknown): unknown {
  if (err instanceof AllTargetsFailedError && err.failures.length === 1) {
    const cause = err.failures[0]?.cause;
    if (cause instanceof EndpointError) return cause;
  }
  return err;
}

type MutableRunOptions = { -readonly [K in keyof RunOptions]: RunOptions[K] };

function toRunOptions(
  o: FailoverRequestOptions,
  idempotent: boolean,
  replayable: boolean,
  signal: AbortSignal | undefined,
): MutableRunOptions {
  const run: MutableRunOptions = { idempotent };
  if (signal !== undefined) run.signal = signal;
  if (o.deadlineMs !== undefined) run.deadlineMs = o.deadlineMs;
  if (o.endpoints !== undefined) run.targets = o.endpoints;
  if (o.hedge === false || !replayable) run.hedge = false;
  else if (typeof o.hedge === 'object') run.hedge = o.hedge;
  return run;
}
