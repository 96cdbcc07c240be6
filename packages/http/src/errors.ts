import {
  AbortedError,
  AllTargetsFailedError,
  BreakerOpenError,
  DeadlineExceededError,
  FailoverError,
  redact,
  type TargetFailure,
} from '@failover/core';
import { AxiosError, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import { EndpointError } from './endpoint-error.js';

/**
 * The code of the `AxiosError` for "every endpoint failed" when no endpoint gave an error code of
 * its own (each one was skipped because its breaker is open).
 */
export const ERR_ALL_ENDPOINTS_FAILED = 'ERR_ALL_ENDPOINTS_FAILED';

/** Turns a config the request ended with into the one the caller sees (see the adapter). */
export type Finalize = (config: InternalAxiosRequestConfig | undefined) => InternalAxiosRequestConfig;

/**
 * Maps what the failover router rejected with to what axios users expect:
 * - an endpoint's own failure (a 503 a POST may not replay, a 400...): the attempt's `AxiosError`;
 * - every endpoint failed: an `AxiosError` whose message lists each endpoint's failure, with the
 *   last failure's `code`, `response` and `request`, and core's `AllTargetsFailedError` as `cause`;
 * - the caller aborted: axios' `CanceledError` (`axios.isCancel` is true);
 * - the `deadlineMs` passed: an `AxiosError` with axios' timeout code (`ECONNABORTED`, or
 *   `ETIMEDOUT` with `transitional.clarifyTimeoutError`).
 * Every error's `config` is the caller-facing config with `failover` filled in.
 */
export function toAxiosError(err: unknown, finalize: Finalize, config: InternalAxiosRequestConfig): unknown {
  if (err instanceof EndpointError) return withConfig(err.axiosError, finalize);
  if (err instanceof AxiosError) return withConfig(err, finalize);
  if (err instanceof AllTargetsFailedError) return allFailed(err, finalize(config));
  if (err instanceof AbortedError) {
    const canceled = new CanceledError(undefined, finalize(config));
    return Object.assign(canceled, { cause: err });
  }
  if (err instanceof DeadlineExceededError) {
    const clarify = config.transitional?.clarifyTimeoutError === true;
    const timeout = new AxiosError(
      err.message,
      clarify ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED,
      finalize(config),
    );
    return Object.assign(timeout, { cause: err });
  }
  return err;
}

function withConfig(err: AxiosError, finalize: Finalize): AxiosError {
  const config = finalize(err.config);
  err.config = config;
  if (err.response) err.response.config = config;
  return err;
}

function allFailed(err: AllTargetsFailedError, config: InternalAxiosRequestConfig): AxiosError {
  const last = err.cause instanceof EndpointError ? err.cause.axiosError : undefined;
  const list = err.failures.map(describeFailure).join('; ');
  const out = new AxiosError(
    `All endpoints failed (${list})`,
    last?.code ?? ERR_ALL_ENDPOINTS_FAILED,
    config,
    last?.request,
    last?.response,
  );
  if (out.response) out.response.config = config;
  return Object.assign(out, { cause: err });
}

/** `aws-us-east-1: unavailable, HTTP 503 (2 attempts)`, credentials removed. */
function describeFailure(f: TargetFailure): string {
  const c = f.cause;
  let detail: string;
  if (c instanceof EndpointError) {
    detail = c.status !== undefined ? `HTTP ${c.status}` : (c.code ?? redact(c.message));
  } else if (c instanceof BreakerOpenError) {
    detail = 'breaker open, skipped';
  } else if (c instanceof FailoverError) {
    detail = redact(c.message);
  } else if (c instanceof Error) {
    detail = redact(c.message);
  } else {
    detail = 'failed';
  }
  const attempts = f.attempts > 1 ? ` (${f.attempts} attempts)` : '';
  return `${f.target}: ${f.kind}, ${detail}${attempts}`;
}

/**
 * The `AllTargetsFailedError` behind an axios error when every endpoint failed, else `undefined`.
 * Its `failures` list each endpoint's name, kind and {@link EndpointError}.
 */
export function allEndpointsFailed(err: unknown): AllTargetsFailedError | undefined {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause instanceof AllTargetsFailedError ? cause : undefined;
}
