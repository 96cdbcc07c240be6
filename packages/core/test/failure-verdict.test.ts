import { describe, expect, it } from 'vitest';
import { decideFailure, type FailureFacts, type FailureVerdict } from '../src/failure-verdict.js';

/** A 503 while closed, no stall, not early, no operation. */
const facts = (f: Partial<FailureFacts>): FailureFacts => ({
  kind: 'unavailable',
  localStall: false,
  state: 'closed',
  early: false,
  operation: false,
  ...f,
});

const counts: FailureVerdict = {
  failure: true,
  move: 'count',
  recordLast: true,
  endsOperationStreak: false,
  neutral: false,
};
const filtered: FailureVerdict = {
  failure: false,
  move: 'none',
  recordLast: false,
  endsOperationStreak: false,
  neutral: false,
};

describe('decideFailure', () => {
  const table: [string, Partial<FailureFacts>, FailureVerdict][] = [
    ['an outage while closed counts towards fast ejection', {}, counts],
    ['so does a timeout, a network failure, a throttle', { kind: 'timeout' }, counts],
    ['network', { kind: 'network' }, counts],
    ['throttled', { kind: 'throttled' }, counts],
    ['an outage while closed, with an operation: its streak goes on', { operation: true }, counts],
    [
      'the half-open probe failed: open again for a doubled period',
      { state: 'halfOpen' },
      { ...counts, move: 'open-doubled' },
    ],
    [
      'an early probe failed: open as it was, to the end of the same period',
      { state: 'halfOpen', early: true },
      { ...counts, move: 'reopen-early' },
    ],
    [
      'a failure that comes back while open (a straggler): a failure, no move',
      { state: 'open' },
      { ...counts, move: 'none' },
    ],
    ['an answer (not found) is not a failure of the target', { kind: 'not_found' }, filtered],
    [
      'an answer of a named operation ends its streak',
      { kind: 'not_found', operation: true },
      { ...filtered, endsOperationStreak: true },
    ],
    [
      'a cancelled attempt proves nothing: no failure, no success',
      { kind: 'aborted', operation: true },
      { ...filtered, neutral: true },
    ],
    [
      "a timeout this process's own stall explains proves nothing either",
      { kind: 'timeout', localStall: true, operation: true },
      { ...filtered, neutral: true },
    ],
    [
      'a cancelled half-open probe: open again for the same period',
      { kind: 'aborted', state: 'halfOpen' },
      { ...counts, move: 'open-same' },
    ],
    [
      'a half-open probe cut by a local stall: the same',
      { kind: 'timeout', localStall: true, state: 'halfOpen' },
      { ...counts, move: 'open-same' },
    ],
    [
      'a cancelled early probe: open as it was, and it is not the last failure',
      { kind: 'aborted', state: 'halfOpen', early: true },
      { ...counts, move: 'reopen-early', recordLast: false },
    ],
    [
      'an answer to the half-open probe is no failure (its success closes the breaker)',
      { kind: 'not_found', state: 'halfOpen' },
      filtered,
    ],
  ];
  it.each(table)('%s', (_name, f, expected) => {
    expect(decideFailure(facts(f))).toEqual(expected);
  });
});
