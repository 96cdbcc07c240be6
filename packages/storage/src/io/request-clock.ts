import type { ResolvedIoTimeouts } from './timeouts.js';
import type { TransferPhase } from './transfer-error.js';

/** What one look at a request in flight sees (read from its socket and streams). */
export interface RequestSample {
  /** Monotonic time of the look, ms. */
  readonly now: number;
  /** The request has a socket (it is not queued in the client's pool). */
  readonly hasSocket: boolean;
  /** The socket is still connecting. */
  readonly connecting: boolean;
  /** Request bytes written by the client that the operating system has not taken yet. */
  readonly pendingBytes: number;
  /** Request bytes the operating system took so far on this socket. */
  readonly sentBytes: number;
  /** The client finished writing the request (its body included). */
  readonly finished: boolean;
  /** The response headers arrived. */
  readonly hasResponse: boolean;
  /** Bytes read from the socket so far. */
  readonly receivedBytes: number;
  /** The response's reader is not asking for data (paused, or its buffer is full). */
  readonly readerBusy: boolean;
}

/** What is remembered about one request between looks. */
export interface RequestClock {
  /** When the request got its socket. */
  readonly socketAt: number | undefined;
  /** When the last progress was seen (bytes moved, or nothing was due). */
  readonly progressAt: number;
  /** When the whole request was handed to the operating system. */
  readonly sentAt: number | undefined;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly hadResponse: boolean;
}

/** The clock of a request that was just created. */
export function newClock(now: number): RequestClock {
  return {
    socketAt: undefined,
    progressAt: now,
    sentAt: undefined,
    sentBytes: -1,
    receivedBytes: -1,
    hadResponse: false,
  };
}

/**
 * The clock moved forward by `ms`: time this process spent blocked (its event loop did not run)
 * is nobody's silence but its own, so it is not counted against the request.
 */
export function shiftClock(clock: RequestClock, ms: number): RequestClock {
  return {
    ...clock,
    socketAt: clock.socketAt === undefined ? undefined : clock.socketAt + ms,
    progressAt: clock.progressAt + ms,
    sentAt: clock.sentAt === undefined ? undefined : clock.sentAt + ms,
  };
}

/**
 * The pure decision step of the request watchdog: from the last clock and a new sample, the next
 * clock and, when a bound was exceeded, the phase that failed.
 */
export function decide(
  clock: RequestClock,
  s: RequestSample,
  t: ResolvedIoTimeouts,
): { clock: RequestClock; failed?: TransferPhase } {
  const { now } = s;
  if (!s.hasSocket) return { clock: { ...clock, progressAt: now } };
  const socketAt = clock.socketAt ?? now;
  if (s.connecting) {
    const next = { ...clock, socketAt, progressAt: now };
    if (t.connectTimeoutMs > 0 && now - socketAt >= t.connectTimeoutMs)
      return { clock: next, failed: 'connect' };
    return { clock: next };
  }
  if (!s.hasResponse) {
    let progressAt = clock.progressAt;
    if (clock.socketAt === undefined || s.sentBytes > clock.sentBytes) progressAt = now;
    const sentAll = s.finished && s.pendingBytes === 0;
    if (!sentAll) {
      // Nothing waiting to be sent: the request waits for the caller's body, not for the cloud.
      if (s.pendingBytes === 0) progressAt = now;
      const next = { ...clock, socketAt, progressAt, sentBytes: s.sentBytes };
      if (t.idleTimeoutMs > 0 && now - progressAt >= t.idleTimeoutMs)
        return { clock: next, failed: 'upload' };
      return { clock: next };
    }
    const sentAt = clock.sentAt ?? now;
    const next = { ...clock, socketAt, progressAt, sentAt, sentBytes: s.sentBytes };
    if (t.responseTimeoutMs > 0 && now - sentAt >= t.responseTimeoutMs)
      return { clock: next, failed: 'response' };
    return { clock: next };
  }
  let progressAt = clock.progressAt;
  if (!clock.hadResponse || s.receivedBytes > clock.receivedBytes || s.readerBusy) progressAt = now;
  const next = { ...clock, socketAt, progressAt, receivedBytes: s.receivedBytes, hadResponse: true };
  if (t.idleTimeoutMs > 0 && now - progressAt >= t.idleTimeoutMs) return { clock: next, failed: 'download' };
  return { clock: next };
}
