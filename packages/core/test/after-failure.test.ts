import { describe, expect, it } from 'vitest';
import { type AfterFailure, decideAfterFailure, type FailureFacts } from '../src/after-failure.js';

/** A failure on the only target left, on the first attempt, that may be retried. */
const base: FailureFacts = {
  kind: 'unavailable',
  replayable: true,
  idempotent: true,
  neverSent: false,
  hasNext: false,
  attempt: 1,
  maxAttempts: 2,
  admits: true,
  retryAfterMs: undefined,
  maxDelayMs: 2000,
  backoffMs: 40,
  deadlineLeftMs: undefined,
};

const retry = (delayMs: number): AfterFailure => ({ action: 'retry', delayMs });
const NEXT: AfterFailure = { action: 'next' };
const FAIL: AfterFailure = { action: 'fail' };

describe('decideAfterFailure', () => {
  const table: [string, Partial<FailureFacts>, AfterFailure][] = [
    ['retries the only target after the backoff', {}, retry(40)],
    ['an abort ends the call', { kind: 'aborted' }, { action: 'aborted' }],
    ['an abort ends it even with another target', { kind: 'aborted', hasNext: true }, { action: 'aborted' }],
    ['an answer ends the call with its error', { kind: 'not_found', hasNext: true }, FAIL],
    ['a precondition failure is an answer', { kind: 'precondition' }, FAIL],
    ['a call that cannot run twice is not replayed', { replayable: false, hasNext: true }, FAIL],
    ['non-idempotent, maybe sent: not replayed', { idempotent: false, hasNext: true }, FAIL],
    ['non-idempotent, never sent: fails over', { idempotent: false, neverSent: true, hasNext: true }, NEXT],
    ['non-idempotent, never sent: retried alone', { idempotent: false, neverSent: true }, retry(40)],
    ['another target admits the call: go there', { hasNext: true }, NEXT],
    ['a timeout with another target: go there', { kind: 'timeout', hasNext: true }, NEXT],
    [
      'throttled with another target: no sleep',
      { kind: 'throttled', hasNext: true, retryAfterMs: 1000 },
      NEXT,
    ],
    ['the breaker opened: no retry', { admits: false }, NEXT],
    ['attempts spent', { attempt: 2 }, NEXT],
    ['one attempt asked for (maxAttempts 1)', { maxAttempts: 1 }, NEXT],
    ['Retry-After longer than the backoff wins', { retryAfterMs: 999.2 }, retry(1000)],
    ['Retry-After shorter than the backoff', { retryAfterMs: 10 }, retry(40)],
    ['Retry-After beyond maxDelayMs: no wait, move on', { retryAfterMs: 2001 }, NEXT],
    ['the wait would pass the deadline', { deadlineLeftMs: 40 }, NEXT],
    ['the wait ends before the deadline', { deadlineLeftMs: 41 }, retry(40)],
    ['Retry-After past the deadline', { retryAfterMs: 500, deadlineLeftMs: 300 }, NEXT],
    ['a zero backoff', { backoffMs: 0 }, retry(0)],
  ];
  it.each(table)('%s', (_name, facts, expected) => {
    expect(decideAfterFailure({ ...base, ...facts })).toEqual(expected);
  });

  it('every availability kind may be retried; every other kind is an answer', () => {
    for (const kind of ['unavailable', 'timeout', 'network', 'throttled'] as const) {
      expect(decideAfterFailure({ ...base, kind }).action).toBe('retry');
    }
    for (const kind of ['not_found', 'auth', 'invalid', 'precondition', 'unknown'] as const) {
      expect(decideAfterFailure({ ...base, kind }).action).toBe('fail');
    }
  });
});
