import { FailoverError, type FailureKind, redact, redactError } from '@failover/core';
import type { AxiosError } from 'axios';

/** What an {@link EndpointError} is built from. */
export interface EndpointErrorInit {
  readonly kind: FailureKind;
  readonly endpoint: string;
  readonly status?: number;
  readonly code?: string;
  readonly retryAfterMs?: number;
  readonly neverSent: boolean;
  /**
   * The low-level error (a socket or DNS error), kept as `cause` as a redacted copy (core's
   * `redactError`); never an axios error.
   */
  readonly cause?: unknown;
  /** The axios error of the attempt (holds the request config, headers included): kept hidden. */
  readonly axiosError: AxiosError;
}

/**
 * One failed attempt on one endpoint, as the failover router (its events, its
 * `AllTargetsFailedError.failures`) sees it. It carries the status, the error code and the
 * server's `Retry-After` hint, but not the request config or headers, so logging an event never
 * logs credentials. The attempt's own `AxiosError` is reachable through {@link EndpointError.axiosError}
 * (non-enumerable, so `JSON.stringify` and `console.log` leave it out).
 */
export class EndpointError extends FailoverError {
  /** The HTTP status the endpoint answered with, when it answered. */
  readonly status: number | undefined;
  /** The error code (`ECONNREFUSED`, `ENOTFOUND`, `ECONNABORTED`, `ERR_BAD_RESPONSE`...). */
  readonly code: string | undefined;
  /** The server's `Retry-After` hint in milliseconds (read by core's `retryAfterMs`). */
  readonly retryAfterMs: number | undefined;
  /** True when the request provably never reached the server (read by core's `failedBeforeSending`). */
  readonly neverSent: boolean;
  /** The attempt's `AxiosError` (hidden from serialisation: its config holds the request headers). */
  declare readonly axiosError: AxiosError;

  constructor(init: EndpointErrorInit) {
    super(init.kind, describe(init), { target: init.endpoint, cause: redactError(init.cause) });
    this.status = init.status;
    this.code = init.code;
    this.retryAfterMs = init.retryAfterMs;
    this.neverSent = init.neverSent;
    Object.defineProperty(this, 'axiosError', { value: init.axiosError, enumerable: false });
  }
}

function describe(init: EndpointErrorInit): string {
  if (init.status !== undefined) {
    // A server's status text can echo anything (a signed URL, a token): redacted like a message.
    const statusText = init.axiosError.response?.statusText;
    return `HTTP ${init.status}${statusText ? ` ${redact(statusText)}` : ''} from ${init.endpoint}`;
  }
  const message = redact(init.axiosError.message || 'request failed');
  const code = init.code && !message.includes(init.code) ? `${init.code}: ` : '';
  return `${code}${message} (${init.endpoint})`;
}
