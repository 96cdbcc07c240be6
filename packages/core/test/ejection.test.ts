import { describe, expect, it } from 'vitest';
import {
  decideEjection,
  type EjectionDecision,
  type EjectionLimits,
  NO_STREAKS,
  type Streaks,
} from '../src/ejection.js';
import { DEFAULTS } from '../src/options.js';

const DEFAULT_LIMITS: EjectionLimits = DEFAULTS.breaker;

describe('decideEjection', () => {
  const s = (failures: number, unreachable: number): Streaks => ({ failures, unreachable });
  const d = (
    failures: number,
    unreachable: number,
    trigger?: EjectionDecision['trigger'],
  ): EjectionDecision => ({ failures, unreachable, trigger });

  const table: [string, Streaks, boolean, Partial<EjectionLimits>, EjectionDecision][] = [
    ['a first refused connection counts once in each streak', NO_STREAKS, true, {}, d(1, 1)],
    ['a second one in a row opens (unreachable: 2 by default)', s(1, 1), true, {}, d(2, 2, 'unreachable')],
    ['a first 503 counts in the failures streak only', NO_STREAKS, false, {}, d(1, 0)],
    ['a 503 ends the unreachable streak', s(1, 1), false, {}, d(2, 0)],
    ['refused after a 503: a new unreachable streak of 1', s(1, 0), true, {}, d(2, 1)],
    ['the 5th failure in a row opens (consecutive: 5)', s(4, 0), false, {}, d(5, 0, 'consecutive')],
    ['the 4th does not', s(3, 0), false, {}, d(4, 0)],
    ['mixed: 5 in a row open whatever their kinds', s(4, 1), false, {}, d(5, 0, 'consecutive')],
    [
      'both reached at once: named unreachable',
      s(1, 1),
      true,
      { consecutiveFailures: 2 },
      d(2, 2, 'unreachable'),
    ],
    [
      'consecutiveConnectFailures: 0 switches its trigger off',
      s(3, 3),
      true,
      { consecutiveConnectFailures: 0 },
      d(4, 4),
    ],
    [
      '... and the failures streak still opens',
      s(4, 4),
      true,
      { consecutiveConnectFailures: 0 },
      d(5, 5, 'consecutive'),
    ],
    [
      'consecutiveFailures: 0 switches its trigger off',
      s(9, 0),
      false,
      { consecutiveFailures: 0, consecutiveConnectFailures: 0 },
      d(10, 0),
    ],
    [
      'a threshold of 1 opens on the first failure',
      NO_STREAKS,
      false,
      { consecutiveFailures: 1 },
      d(1, 0, 'consecutive'),
    ],
    [
      'a store-like 3 opens on the 3rd 503',
      s(2, 0),
      false,
      { consecutiveFailures: 3 },
      d(3, 0, 'consecutive'),
    ],
  ];

  it.each(table)('%s', (_name, streaks, unreachable, limits, expected) => {
    expect(decideEjection(streaks, unreachable, { ...DEFAULT_LIMITS, ...limits })).toEqual(expected);
  });

  describe('per operation (consecutiveOperationFailures: 2 by default)', () => {
    const o = (failures: number, unreachable: number, operation: number | undefined): Streaks => ({
      failures,
      unreachable,
      operation,
    });
    const od = (
      failures: number,
      unreachable: number,
      operation: number | undefined,
      trigger?: EjectionDecision['trigger'],
    ): EjectionDecision => ({ failures, unreachable, operation, trigger });
    const rows: [string, Streaks, boolean, Partial<EjectionLimits>, EjectionDecision][] = [
      ['a first failed get counts in its own streak', o(0, 0, 0), false, {}, od(1, 0, 1)],
      [
        'a second failed get after a put succeeded in between opens (selective)',
        o(0, 0, 1),
        false,
        {},
        od(1, 0, 2, 'operation'),
      ],
      [
        'two failed gets in a row with nothing between: not selective, consecutiveFailures decides',
        o(1, 0, 1),
        false,
        {},
        od(2, 0, 2),
      ],
      [
        '... and its 3rd (store-like consecutiveFailures: 3) opens as consecutive',
        o(2, 0, 2),
        false,
        { consecutiveFailures: 3 },
        od(3, 0, 3, 'consecutive'),
      ],
      [
        'a call with no operation never fires the operation trigger',
        o(0, 0, undefined),
        false,
        {},
        od(1, 0, undefined),
      ],
      [
        'consecutiveOperationFailures: 0 switches it off',
        o(0, 0, 7),
        false,
        { consecutiveOperationFailures: 0 },
        od(1, 0, 8),
      ],
      [
        'a threshold of 3 needs the 3rd failed get',
        o(0, 0, 1),
        false,
        { consecutiveOperationFailures: 3 },
        od(1, 0, 2),
      ],
      [
        '... which opens once it comes',
        o(0, 0, 2),
        false,
        { consecutiveOperationFailures: 3 },
        od(1, 0, 3, 'operation'),
      ],
      [
        'limits without the field (older callers): off',
        o(0, 0, 5),
        false,
        { consecutiveOperationFailures: undefined },
        od(1, 0, 6),
      ],
      ['unreachable wins when both fire at once', o(1, 1, 1), true, {}, od(2, 2, 2, 'unreachable')],
    ];
    it.each(rows)('%s', (_name, streaks, unreachable, limits, expected) => {
      expect(decideEjection(streaks, unreachable, { ...DEFAULT_LIMITS, ...limits })).toEqual(expected);
    });

    it('downloads cut while uploads pass: left at the 2nd failed get, never by consecutiveFailures', () => {
      const limits = { ...DEFAULT_LIMITS, consecutiveFailures: 3 };
      let failures = 0;
      let gets = 0;
      const triggers: (string | undefined)[] = [];
      // put ok, get fails, put ok, get fails: a success of another operation ends `failures` only.
      for (let i = 0; i < 2; i++) {
        failures = 0; // the put succeeded
        const d = decideEjection({ failures, unreachable: 0, operation: gets }, false, limits);
        failures = d.failures;
        gets = d.operation ?? 0;
        triggers.push(d.trigger);
      }
      expect(triggers).toEqual([undefined, 'operation']);
      expect(failures).toBe(1);
    });
  });

  it('a run of unreachable failures never outgrows the failures streak it is part of', () => {
    let streaks: Streaks = NO_STREAKS;
    const limits = { consecutiveFailures: 0, consecutiveConnectFailures: 0 };
    for (const unreachable of [true, false, true, true, false, true, true, true]) {
      streaks = decideEjection(streaks, unreachable, limits);
      expect(streaks.unreachable).toBeLessThanOrEqual(streaks.failures);
    }
    expect(streaks).toEqual(d(8, 3));
  });
});
