import { describe, expect, it } from 'vitest';
import { FailureStreaks } from '../src/failure-streaks.js';
import { LatencyWindow } from '../src/latency.js';
import { LOST_RACES_TO_DEMOTE, RaceRecord } from '../src/race-record.js';

const limits = { consecutiveFailures: 3, consecutiveConnectFailures: 2, consecutiveOperationFailures: 2 };

describe('FailureStreaks', () => {
  it('counts failures in a row until a trigger fires; an answer ends the streak', () => {
    const s = new FailureStreaks();
    expect(s.count(false, undefined, limits)).toBeUndefined();
    expect(s.count(false, undefined, limits)).toBeUndefined();
    s.answered();
    expect(s.failures).toBe(0);
    expect(s.count(false, undefined, limits)).toBeUndefined();
    expect(s.count(false, undefined, limits)).toBeUndefined();
    expect(s.count(false, undefined, limits)).toBe('consecutive');
  });

  it('unreachable failures in a row fire sooner; another kind ends that run only', () => {
    const s = new FailureStreaks();
    expect(s.count(true, undefined, limits)).toBeUndefined();
    expect(s.count(false, undefined, limits)).toBeUndefined();
    expect(s.unreachable).toBe(0);
    s.restart();
    expect(s.count(true, undefined, limits)).toBeUndefined();
    expect(s.count(true, undefined, limits)).toBe('unreachable');
  });

  it("an operation's streak survives the target-wide answers and restarts, not its own success", () => {
    const s = new FailureStreaks();
    expect(s.count(false, 'get', limits)).toBeUndefined();
    s.answered(); // a put succeeded: the get's streak goes on
    s.restart(); // the breaker opened and closed
    expect(s.count(false, 'get', limits)).toBe('operation');
    s.answered('get');
    expect(s.count(false, 'get', limits)).toBeUndefined();
    s.countOperation('get'); // a failure while open
    expect(s.count(false, 'get', limits)).toBe('operation');
    s.clearOperations();
    s.restart();
    expect(s.count(false, 'get', limits)).toBeUndefined();
    s.endOperation('get');
    expect(s.count(false, 'get', limits)).toBeUndefined();
  });
});

function window(ms: number, samples: number): LatencyWindow {
  const w = new LatencyWindow();
  for (let i = 0; i < samples; i++) w.record(ms);
  return w;
}

describe('RaceRecord', () => {
  it('demotes after the races lost in a row to a target faster as a rule; a won race ends the streak', () => {
    const r = new RaceRecord();
    const slow = window(300, 20);
    const fast = window(10, 20);
    for (let i = 1; i < LOST_RACES_TO_DEMOTE; i++) expect(r.lost(slow, fast)).toBe(false);
    r.won();
    for (let i = 1; i < LOST_RACES_TO_DEMOTE; i++) expect(r.lost(slow, fast)).toBe(false);
    expect(r.lost(slow, fast)).toBe(true);
    expect(r.lost(slow, fast)).toBe(false); // the streak starts again
  });

  it('a race lost in the tail of a target as fast as the winner says nothing and ends the streak', () => {
    const r = new RaceRecord();
    const a = window(10, 20);
    const b = window(10, 20);
    const slow = window(300, 20);
    expect(r.lost(slow, a)).toBe(false);
    expect(r.lost(slow, a)).toBe(false);
    expect(r.lost(a, b)).toBe(false);
    expect(r.lost(slow, a)).toBe(false);
  });
});
