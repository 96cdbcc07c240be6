/**
 * The apply step of {@link decideAfterFailure} (after-failure.ts, the pure decision): records a
 * call's failed attempt, gathers the facts, asks the decision and carries it out: ends the call,
 * sends the lane to the next target, or pays the retry budget and announces the retry.
 *
 * @internal
 */
import { type AfterFailure, decideAfterFailure } from './after-failure.js';
import { backoffDelay } from './backoff.js';
import type { CallLog } from './call-log.js';
import { NEXT } from './claim.js';
import { failedBeforeSending } from './classify.js';
import { AbortedError } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import type { CallCore, CallPlan } from './plan.js';
import { retryAfterMs } from './retry-after.js';
import type { TargetHealth } from './target-health.js';

/** The call has ended. */
export const STOP = -2;

/** How the call ends (a `CallEnd`). */
export interface Ending {
  /** When the call's deadline passes (a `Date.now()` time), if it has one. */
  readonly deadlineAt: number | undefined;
  /** Ends the call with `err`. */
  fail(err: unknown, kind: FailureKind): void;
}

/** One failed attempt: the attempt's number on the target at `pos`, its error and kind. */
export interface FailedAttempt {
  readonly pos: number;
  readonly attempt: number;
  readonly err: unknown;
  readonly kind: FailureKind;
  /** The backoff the lane waited before this attempt, if it was a retry. */
  readonly previousDelay: number | undefined;
}

/**
 * Records the failed attempt and applies {@link decideAfterFailure}: {@link STOP} (the call has
 * ended), {@link NEXT} (another target), or the delay (ms) before retrying the same target (the
 * budget paid, the retry announced).
 */
export function applyAfterFailure<T>(
  core: CallCore,
  plan: CallPlan<TargetHealth<T>>,
  log: CallLog<T>,
  end: Ending,
  f: FailedAttempt,
): number {
  const { pos, attempt, err, kind } = f;
  const s = log.order[pos]!;
  log.failed(pos, kind, err);
  const retry = core.retry;
  const deadlineAt = end.deadlineAt;
  const decision: AfterFailure = decideAfterFailure({
    kind,
    replayable: plan.replayable,
    idempotent: plan.idempotent,
    neverSent: failedBeforeSending(err),
    hasNext: log.hasNext(),
    attempt,
    maxAttempts: plan.maxAttempts ?? retry.maxAttempts,
    admits: s.admits(),
    retryAfterMs: retryAfterMs(err),
    maxDelayMs: retry.maxDelayMs,
    backoffMs: backoffDelay(attempt, f.previousDelay, retry),
    deadlineLeftMs: deadlineAt === undefined ? undefined : deadlineAt - Date.now(),
  });
  switch (decision.action) {
    case 'aborted': {
      const signal = plan.signal;
      end.fail(signal?.aborted ? new AbortedError({ cause: signal.reason }) : err, 'aborted');
      return STOP;
    }
    case 'fail':
      end.fail(err, kind);
      return STOP;
    case 'next':
      return NEXT;
  }
  const events = core.events;
  const budget = core.budget;
  if (budget !== undefined) {
    const cost = kind === 'timeout' ? budget.timeoutCost : budget.retryCost;
    if (!budget.tryAcquire(cost)) {
      if (events.has('budgetExhausted')) {
        events.emit('budgetExhausted', { target: s.name, tokens: budget.tokens, cost });
      }
      return NEXT;
    }
  }
  s.retries++;
  const delayMs = decision.delayMs;
  if (events.has('retry')) {
    events.emit('retry', { target: s.name, attempt: attempt + 1, delayMs, kind, error: err });
  }
  return delayMs;
}
