import { describe, expect, it } from 'vitest';
import { FailureStreaks } from '../src/failure-streaks.js';

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
