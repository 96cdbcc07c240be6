import {
  type Classifier,
  classifyFailure,
  FailoverError,
  type FailureKind,
  failedBeforeSending,
  redact,
  retryAfterMs,
} from '@failover/core';
import {
  type AxiosAdapter,
  AxiosError,
  AxiosHeaders,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { EndpointError } from './endpoint-error.js';
import type { ResolvedEndpoint } from './endpoints.js';
import { linkedAbort } from './signals.js';
import { isFailoverStatus, statusError } from './status.js';
import type { AttemptFailure } from './types.js';

/** What every attempt of one logical request shares. */
export interface AttemptPlan {
  /** The request config axios gave the adapter (after request interceptors and transforms). */
  readonly config: InternalAxiosRequestConfig;
  /** The URL to send, relative to each endpoint's base URL. */
  readonly path: string;
  /** The adapter to send each attempt with (the instance's own, resolved). */
  readonly inner: AxiosAdapter;
  /** The redirect guard that keeps credentials from foreign origins. */
  readonly beforeRedirect: NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;
  /** Config keys axios' `toJSON` redacts (sensitive headers, `auth`). */
  readonly redact: readonly string[];
  readonly failoverOn500: boolean;
  readonly classify: Classifier | undefined;
}

/** The bookkeeping of one logical request's attempts, read when it settles. */
export class AttemptLog {
  /** Endpoint names in the order attempts started. */
  readonly tried: string[] = [];
  /** Failed attempts, in the order they failed. */
  readonly failures: AttemptFailure[] = [];
  /** Responses returned by attempts, with their endpoint. */
  readonly served = new Map<AxiosResponse, ResolvedEndpoint>();
  /** True once an attempt started while another was in flight (a hedge). */
  hedged = false;
  #inflight = 0;

  constructor(readonly plan: AttemptPlan) {}

  /**
   * Sends one attempt to `endpoint`. Resolves with the response when it is not a failover status
   * (any other status, 4xx included, is returned for axios to judge with `validateStatus`);
   * rejects with an {@link EndpointError} for a failover status or a failed request, and with
   * core's abort reason when core aborted the attempt.
   */
  async send(endpoint: ResolvedEndpoint, coreSignal: AbortSignal | undefined): Promise<AxiosResponse> {
    const { config, inner } = this.plan;
    this.tried.push(endpoint.name);
    if (this.#inflight > 0) this.hedged = true;
    this.#inflight++;
    // The attempt's own signal: follows core's (timeouts, hedge losers, caller) only until the
    // response arrives, so a streamed body is not cut when core tidies up after the call; follows
    // the caller's for the whole life of the response.
    const link = linkedAbort();
    const unfollowCore = link.follow(coreSignal);
    const unfollowCaller = link.follow(config.signal);
    const attemptConfig: InternalAxiosRequestConfig = {
      ...config,
      baseURL: endpoint.baseURL,
      url: this.plan.path,
      headers: new AxiosHeaders(config.headers),
      signal: link.signal,
      validateStatus: null,
      beforeRedirect: this.plan.beforeRedirect,
      redact: [...this.plan.redact],
    };
    let response: AxiosResponse;
    try {
      response = await inner(attemptConfig);
    } catch (err) {
      unfollowCaller();
      if (coreSignal?.aborted) throw this.#aborted(endpoint, coreSignal.reason);
      throw this.#fail(endpoint, err);
    } finally {
      unfollowCore();
      this.#inflight--;
    }
    if (isStream(response.data)) {
      response.data.once('close', unfollowCaller);
    } else {
      unfollowCaller();
    }
    if (isFailoverStatus(response.status, this.plan.failoverOn500)) {
      if (isStream(response.data)) response.data.destroy();
      throw this.#fail(endpoint, statusError(response));
    }
    this.served.set(response, endpoint);
    return response;
  }

  #fail(endpoint: ResolvedEndpoint, err: unknown): unknown {
    if (!(err instanceof AxiosError)) return err;
    const status = err.response?.status;
    const kind: FailureKind = classifyFailure(err, this.plan.classify);
    const code = typeof err.code === 'string' ? err.code : undefined;
    const cause = status === undefined ? lowLevelCause(err) : undefined;
    const failure = new EndpointError({
      kind,
      endpoint: endpoint.name,
      status,
      code,
      retryAfterMs: status === undefined ? undefined : retryAfterMs(err),
      neverSent: failedBeforeSending(err),
      cause,
      axiosError: err,
    });
    if (kind !== 'aborted') {
      this.failures.push({
        endpoint: endpoint.name,
        kind,
        ...(status === undefined ? {} : { status }),
        ...(code === undefined ? {} : { code }),
        message: redact(failure.message),
      });
    }
    return failure;
  }

  /** Core aborted the attempt: its reason (an attempt timeout is listed as a failure). */
  #aborted(endpoint: ResolvedEndpoint, reason: unknown): unknown {
    if (reason instanceof FailoverError && reason.kind !== 'aborted') {
      this.failures.push({ endpoint: endpoint.name, kind: reason.kind, message: redact(reason.message) });
    }
    return reason;
  }

  /** Destroys the streamed bodies of responses that lost (a hedge that answered too late). */
  discardExcept(winner: AxiosResponse | undefined): void {
    for (const response of this.served.keys()) {
      if (response !== winner && isStream(response.data)) response.data.destroy();
    }
  }
}

/** The socket or DNS error under an axios error, which carries no request config. */
function lowLevelCause(err: AxiosError): unknown {
  const cause = err.cause;
  return cause instanceof AxiosError ? undefined : cause;
}

interface DestroyableStream {
  once(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
  pipe(destination: unknown): unknown;
}

function isStream(data: unknown): data is DestroyableStream {
  const d = data as Partial<DestroyableStream> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.pipe === 'function' &&
    typeof d.destroy === 'function' &&
    typeof d.once === 'function'
  );
}
