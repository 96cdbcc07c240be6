import type { FailureKind } from '@failover/core';
import { StorageError } from '../errors.js';

/**
 * Where a request stopped making progress:
 * - `connect`: the TCP connection was not established in time (`kind: 'timeout'`);
 * - `response`: the request was sent but no response headers came in time (`kind: 'timeout'`);
 * - `upload`: request bytes were waiting and the connection took none (`kind: 'network'`);
 * - `download`: the response body stopped arriving while the reader waited (`kind: 'network'`);
 * - `cut`: the connection closed before the whole response body arrived (`kind: 'network'`).
 */
export type TransferPhase = 'connect' | 'response' | 'upload' | 'download' | 'cut';

const KIND: Readonly<Record<TransferPhase, FailureKind>> = {
  connect: 'timeout',
  response: 'timeout',
  upload: 'network',
  download: 'network',
  cut: 'network',
};

const CODE: Readonly<Record<TransferPhase, string>> = {
  connect: 'ETIMEDOUT',
  response: 'FO_RESPONSE_TIMEOUT',
  upload: 'FO_UPLOAD_STALLED',
  download: 'FO_DOWNLOAD_STALLED',
  cut: 'FO_RESPONSE_CUT',
};

/** Where a {@link TransferError} happened. */
export interface TransferErrorContext {
  /** The store's name. */
  readonly target: string;
  /** The operation (`get`, `put`...). */
  readonly operation: string;
  /** The key, when the operation has one. */
  readonly key?: string | undefined;
}

/**
 * A request to the cloud stopped making progress or was cut (see {@link TransferPhase}); the call
 * (or the body stream) fails with it. `kind` is `timeout` (connect, response headers) or `network`
 * (a stall or a cut in the middle of a body), so the failover router moves on to another target.
 */
export class TransferError extends StorageError {
  /** Where the request stopped. */
  readonly phase: TransferPhase;
  /** `ETIMEDOUT` for a connect timeout, else `FO_RESPONSE_TIMEOUT`, `FO_UPLOAD_STALLED`... */
  readonly code: string;
  /** The bound that was exceeded, in milliseconds (`0` for a cut). */
  readonly timeoutMs: number;
  /**
   * True for a connect timeout: the request never left, so `failedBeforeSending` (core) says so,
   * a non-idempotent call may move on, and the breaker counts it as proof that the cloud cannot
   * be reached (`breaker.consecutiveConnectFailures`).
   */
  readonly neverSent: boolean;

  /**
   * @param option the bound's name when it is not the phase's usual one (`commitTimeoutMs`).
   */
  constructor(phase: TransferPhase, timeoutMs: number, ctx: TransferErrorContext, option?: string) {
    const text = describe(phase, timeoutMs);
    const message = option === undefined ? text : text.replace(/\(timeouts\.\w+\)/, `(timeouts.${option})`);
    super(KIND[phase], `${ctx.operation}${about(ctx.key)} on ${ctx.target}: ${message}`, {
      target: ctx.target,
      ...(ctx.key === undefined ? {} : { key: ctx.key }),
    });
    this.phase = phase;
    this.code = CODE[phase];
    this.timeoutMs = timeoutMs;
    this.neverSent = phase === 'connect';
  }
}

function about(key: string | undefined): string {
  return key === undefined ? '' : ` of ${JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key)}`;
}

function describe(phase: TransferPhase, ms: number): string {
  switch (phase) {
    case 'connect':
      return `no connection within ${ms} ms (timeouts.connectTimeoutMs)`;
    case 'response':
      return `no response headers within ${ms} ms of sending the request (timeouts.responseTimeoutMs)`;
    case 'upload':
      return `the connection took no request bytes for ${ms} ms (timeouts.idleTimeoutMs)`;
    case 'download':
      return `the response body stopped arriving for ${ms} ms (timeouts.idleTimeoutMs)`;
    case 'cut':
      return 'the connection closed before the whole response arrived';
  }
}
