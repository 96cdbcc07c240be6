import type { FailureKind, TargetFailure } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { askAgain, mayAnswerLater } from '../src/multi/read-tally.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND aws.test'), { code: 'ENOTFOUND' });
const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

function failure(kind: FailureKind, attempts: number, cause: unknown = new Error(kind)): TargetFailure {
  return { target: 'aws', kind, attempts, cause };
}

describe('a read that found only older copies asks again (pure decision)', () => {
  it.each<[string, TargetFailure, boolean]>([
    ['a timeout', failure('timeout', 1), true],
    ['a reset mid-answer', failure('network', 1, reset), true],
    ['a 503', failure('unavailable', 1), true],
    ['a 429', failure('throttled', 1), true],
    ['two attempts, the last a timeout', failure('timeout', 2), true],
    ['skipped by its open breaker (no attempt)', failure('unavailable', 0), false],
    ['a refused connection', failure('network', 1, refused), false],
    ['a name that did not resolve', failure('network', 1, notFound), false],
    ['a bad request', failure('invalid', 1), false],
    ['a precondition', failure('precondition', 1), false],
    ['the caller aborted', failure('aborted', 1), false],
    ['an unknown failure', failure('unknown', 1), false],
  ])('%s: may answer later = %s', (_name, f, expected) => {
    expect(mayAnswerLater(f)).toBe(expected);
  });

  it.each<[boolean, string[], boolean]>([
    [true, ['aws'], true],
    [true, [], false],
    [false, ['aws'], false], // nothing stale seen: "not found" or an error decides, not a second ask
    [false, [], false],
  ])('stale seen %s, may answer %j: ask again = %s', (sawStale, names, expected) => {
    expect(askAgain(sawStale, new Set(names))).toBe(expected);
  });
});
