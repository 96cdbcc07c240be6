/**
 * What a call does after one of its attempts failed: a pure decision over the facts the call has
 * gathered (no clock, no random, no I/O), table-tested in test/after-failure.test.ts. The call
 * (call.ts) gathers the facts, asks {@link decideAfterFailure}, then applies the answer: ends the
 * call, moves to the next target, or waits and retries the same target after paying the retry
 * budget.
 *
 * @internal
 */
import { type FailureKind, isAvailabilityKind } from './failure-kind.js';

/** What is known when an attempt failed. */
export interface FailureFacts {
  /** The failure's kind. */
  readonly kind: FailureKind;
  /** The call may run more than once at all (`RunOptions.replayable`). */
  readonly replayable: boolean;
  /** The call may run twice even after it may have reached a server (`RunOptions.idempotent`). */
  readonly idempotent: boolean;
  /**
   * The error proves the request never left (connection refused, name not resolved, connect timed
   * out, breaker open): `failedBeforeSending(err)`.
   */
  readonly neverSent: boolean;
  /** A target after the ones the call has used admits the call now. */
  readonly hasNext: boolean;
  /** The number of the attempt that failed, on this target (from 1). */
  readonly attempt: number;
  /** Attempts per target: the call's `maxAttempts`, else the router's `retry.maxAttempts`. */
  readonly maxAttempts: number;
  /** The failed target's breaker still admits calls. */
  readonly admits: boolean;
  /** The server's `Retry-After` in ms, if it gave one. */
  readonly retryAfterMs: number | undefined;
  /** `retry.maxDelayMs`. */
  readonly maxDelayMs: number;
  /** The backoff drawn for this retry (`backoffDelay`), in ms. */
  readonly backoffMs: number;
  /** Time left before the call's deadline, in ms; `undefined` without a deadline. */
  readonly deadlineLeftMs: number | undefined;
}

/** The answer of {@link decideAfterFailure}. */
export type AfterFailure =
  /** The caller aborted: the call ends with an `AbortedError`. */
  | { readonly action: 'aborted' }
  /** An answer, or a failure the call may not replay: the call ends with this very error. */
  | { readonly action: 'fail' }
  /** Move on to the next target that admits the call (the call fails when there is none). */
  | { readonly action: 'next' }
  /** Wait `delayMs`, then run the call on the same target again (if the budget pays). */
  | { readonly action: 'retry'; readonly delayMs: number };

const ABORTED: AfterFailure = Object.freeze({ action: 'aborted' });
const FAIL: AfterFailure = Object.freeze({ action: 'fail' });
const NEXT: AfterFailure = Object.freeze({ action: 'next' });

/**
 * Decides what follows a failed attempt:
 *
 * 1. an abort ends the call; an answer (404, 400...), a failure of a call that cannot run twice,
 *    or a failure of a non-idempotent call that may have reached the server ends it with its error;
 * 2. another target can take the call: go there now, whatever the failure (a second attempt here
 *    would only double the load on a sick target);
 * 3. no retry on the same target when its breaker no longer admits calls, when `maxAttempts` is
 *    spent, when `Retry-After` asks for longer than `maxDelayMs`, or when the wait would pass the
 *    deadline;
 * 4. otherwise retry after the larger of the backoff and `Retry-After` (the budget decides last).
 */
export function decideAfterFailure(f: FailureFacts): AfterFailure {
  if (f.kind === 'aborted') return ABORTED;
  if (!isAvailabilityKind(f.kind) || !f.replayable || (!f.idempotent && !f.neverSent)) return FAIL;
  if (f.hasNext) return NEXT;
  if (!f.admits || f.attempt >= f.maxAttempts) return NEXT;
  const hint = f.retryAfterMs;
  if (hint !== undefined && hint > f.maxDelayMs) return NEXT;
  const delayMs = hint !== undefined && hint > f.backoffMs ? Math.ceil(hint) : f.backoffMs;
  if (f.deadlineLeftMs !== undefined && delayMs >= f.deadlineLeftMs) return NEXT;
  return { action: 'retry', delayMs };
}
