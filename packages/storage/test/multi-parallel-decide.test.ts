import type { FailureKind } from '@failover/core';
import { describe, expect, it } from 'vitest';
import {
  type AtQuorum,
  decideSettle,
  isFatal,
  quorumReached,
  recordOptional,
  type SettleDecision,
  type SettleFacts,
} from '../src/multi/parallel-decide.js';

describe('isFatal (a parallel write)', () => {
  const cases: [FailureKind, boolean, boolean][] = [
    ['precondition', false, true],
    ['aborted', false, true],
    ['network', false, false],
    ['timeout', false, false],
    ['throttled', false, false],
    ['auth', false, false],
    ['precondition', true, true],
    ['network', true, false],
    ['auth', true, true],
    ['unknown', true, true],
  ];
  it.each(cases)('%s (mirror: %s) -> %s', (kind, mirror, fatal) => {
    expect(isFatal(kind, mirror)).toBe(fatal);
  });
});

describe('quorumReached', () => {
  const cases: [string, number | undefined, number, FailureKind[], boolean][] = [
    ['two of two asked', 2, 2, [], true],
    ['one of two asked', 2, 1, [], false],
    ['more than asked', 2, 3, [], true],
    ['an availability failure does not stop it', 2, 2, ['network'], true],
    ['a non-availability failure does not either (quorum)', 2, 2, ['auth'], true],
    ['a refused precondition does', 2, 2, ['precondition'], false],
    ['an abort does', 2, 2, ['aborted'], false],
    ["'mirror' waits for every target", undefined, 3, [], false],
  ];
  it.each(cases)('%s', (_name, need, copies, failures, reached) => {
    expect(quorumReached(need, copies, failures)).toBe(reached);
  });
});

describe('recordOptional (the answer may come before the record, once every copy landed)', () => {
  const base: AtQuorum = {
    answered: 2,
    targets: 3,
    failures: 0,
    uncertain: 0,
    onlyOwnIntent: true,
    windowOpen: false,
  };
  const cases: [string, Partial<AtQuorum>, boolean][] = [
    ['a plain write with one copy to come', {}, true],
    ['every target answered at the quorum already', { answered: 3 }, false],
    ['a target failed', { failures: 1 }, false],
    ['a copy may land late', { uncertain: 1 }, false],
    ['an older entry of the key must be superseded', { onlyOwnIntent: false }, false],
    ['an earlier request of the key may still land', { windowOpen: true }, false],
  ];
  it.each(cases)('%s', (_name, facts, optional) => {
    expect(recordOptional({ ...base, ...facts })).toBe(optional);
  });
});

describe('decideSettle (every target answered, no early acknowledgement)', () => {
  const quorum: SettleFacts = { need: 2, minimum: 1, holders: 2, failures: [], canRollback: false };
  const cases: [string, Partial<SettleFacts>, SettleDecision][] = [
    ['enough copies', {}, { type: 'acknowledge', degraded: false }],
    [
      'one copy, the others down: degraded',
      { holders: 1, failures: ['network', 'timeout'] },
      { type: 'acknowledge', degraded: true },
    ],
    [
      'one copy, no minimum: failed',
      { holders: 1, minimum: undefined, failures: ['network', 'network'] },
      { type: 'fail', fatal: undefined },
    ],
    [
      'one copy, another refused it (auth): not degraded',
      { holders: 1, failures: ['network', 'auth'] },
      { type: 'fail', fatal: undefined },
    ],
    [
      'no copy',
      { holders: 0, failures: ['network', 'network', 'network'] },
      { type: 'fail', fatal: undefined },
    ],
    [
      'a precondition refused, the write can be undone',
      { holders: 2, failures: ['precondition'], canRollback: true },
      { type: 'rollback', fatal: 0 },
    ],
    [
      'a precondition refused, no undo: failed with it',
      { holders: 2, failures: ['precondition'] },
      { type: 'fail', fatal: 0 },
    ],
    [
      'the first fatal failure in target order decides',
      { holders: 1, failures: ['network', 'aborted', 'precondition'] },
      { type: 'fail', fatal: 1 },
    ],
    [
      "'mirror': one copy and the others down is enough",
      { need: undefined, minimum: undefined, holders: 1, failures: ['network', 'network'] },
      { type: 'acknowledge', degraded: false },
    ],
    [
      "'mirror': a refusal other than availability fails it",
      { need: undefined, minimum: undefined, holders: 2, failures: ['auth'] },
      { type: 'fail', fatal: 0 },
    ],
  ];
  it.each(cases)('%s', (_name, facts, decision) => {
    expect(decideSettle({ ...quorum, ...facts })).toEqual(decision);
  });
});
