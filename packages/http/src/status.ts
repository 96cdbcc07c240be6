import { classifyStatus, type FailureKind } from '@failover/core';
import { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';

/** The statuses that always mean "this endpoint is not answering": the call moves on. */
const ALWAYS = new Set([429, 502, 503, 504]);

/** Whether a response status is an outage (moves the call on) rather than an answer. */
export function isFailoverStatus(status: number, failoverOn500: boolean): boolean {
  return ALWAYS.has(status) || (failoverOn500 && status === 500);
}

/** The {@link FailureKind} of a failover status: `throttled` for 429, `timeout` for 504, else `unavailable`. */
export function statusKind(status: number): FailureKind {
  return classifyStatus(status);
}

/**
 * The error axios itself builds when `validateStatus` rejects a response (same message, code,
 * config, request and response), so errors look the same with and without failover.
 */
export function statusError(
  response: AxiosResponse,
  config: InternalAxiosRequestConfig = response.config,
): AxiosError {
  const status = response.status;
  return new AxiosError(
    `Request failed with status code ${status}`,
    status >= 400 && status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
    config,
    response.request,
    response,
  );
}

/** Applies the caller's `validateStatus` the way axios' `settle` does: the response, or its error. */
export function settle(response: AxiosResponse, config: InternalAxiosRequestConfig): AxiosResponse {
  const validate = config.validateStatus;
  if (!response.status || !validate || validate(response.status)) return response;
  throw statusError(response, config);
}
