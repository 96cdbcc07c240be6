import { describe, expect, it } from 'vitest';
import { type CopyOutcome, nextPace, type RepairPace, startPace } from '../src/multi/repair-pace.js';

/** The limits after each outcome, from a pass's start (floor 4, ceiling 12). */
function limits(outcomes: readonly CopyOutcome[], floor = 4, ceiling = 12): number[] {
  let pace: RepairPace = startPace(floor);
  return outcomes.map((o) => {
    pace = nextPace(pace, o, floor, ceiling);
    return pace.limit;
  });
}

const fast: CopyOutcome = { ok: true, ms: 10 };
const slow: CopyOutcome = { ok: true, ms: 10 * 4 + 50 + 1 };
const failed: CopyOutcome = { ok: false, ms: 5 };
const times = (n: number, o: CopyOutcome): CopyOutcome[] => Array.from({ length: n }, () => o);

describe("repair's pace: additive increase, multiplicative decrease", () => {
  const cases: {
    name: string;
    outcomes: CopyOutcome[];
    limits: number[];
    floor?: number;
    ceiling?: number;
  }[] = [
    { name: 'slow start: one more per fast copy', outcomes: times(4, fast), limits: [5, 6, 7, 8] },
    {
      name: 'never above the ceiling',
      outcomes: times(10, fast),
      limits: [5, 6, 7, 8, 9, 10, 11, 12, 12, 12],
    },
    {
      name: 'a failure at the start: already at the floor, and slow start ends',
      outcomes: [failed, ...times(5, fast)],
      // After slow start ends: one more per round of `limit` (4) successes.
      limits: [4, 4, 4, 4, 5, 5],
    },
    {
      name: 'a slow copy halves the limit (the first copy sets the baseline)',
      outcomes: [...times(8, fast), slow],
      limits: [5, 6, 7, 8, 9, 10, 11, 12, 6],
    },
    {
      name: 'one cut per round: the copies in flight that report slow too do not cut again',
      outcomes: [...times(8, fast), slow, slow, slow, slow, slow, slow, slow],
      // Cut to 6 at the 9th; 6 more copies end before another cut may happen (at the 15th).
      limits: [5, 6, 7, 8, 9, 10, 11, 12, 6, 6, 6, 6, 6, 6, 4],
    },
    {
      name: 'congestion avoidance after a cut: one more per round of successes',
      outcomes: [...times(4, fast), slow, ...times(4, fast), ...times(5, fast)],
      // 8 -> cut to 4; then +1 after 4 successes (5), +1 after 5 more (6).
      limits: [5, 6, 7, 8, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6],
    },
    {
      name: 'never below the floor',
      outcomes: [failed, failed, failed, failed, failed, failed, failed, failed],
      floor: 2,
      limits: [2, 2, 2, 2, 2, 2, 2, 2],
    },
    {
      name: 'a fixed number when the ceiling is the floor',
      outcomes: [...times(5, fast), failed, ...times(5, fast)],
      floor: 4,
      ceiling: 4,
      limits: [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(limits(c.outcomes, c.floor, c.ceiling)).toEqual(c.limits);
    });
  }

  it('the baseline follows the fastest copies and drifts up slowly, so a slower cloud is re-learned', () => {
    let pace = startPace(4);
    pace = nextPace(pace, { ok: true, ms: 100 }, 4, 32);
    pace = nextPace(pace, { ok: true, ms: 20 }, 4, 32);
    expect(pace.baselineMs).toBe(20);
    // Copies of 60 ms are not slow against 20 (60 < 4 * 20 + 50); the baseline creeps towards them.
    for (let i = 0; i < 200; i++) pace = nextPace(pace, { ok: true, ms: 60 }, 4, 32);
    expect(pace.baselineMs).toBeGreaterThan(55);
    expect(pace.limit).toBe(32);
    // A failed copy says nothing of speed: the baseline stays.
    const before = pace.baselineMs;
    pace = nextPace(pace, { ok: false, ms: 1 }, 4, 32);
    expect(pace.baselineMs).toBe(before);
  });
});
