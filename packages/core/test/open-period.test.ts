import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OpenPeriod } from '../src/open-period.js';

describe('OpenPeriod: the open state clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    // base, max, openings in a row -> the periods they run
    [1000, 8000, 5, [1000, 2000, 4000, 8000, 8000]],
    [1000, 1000, 3, [1000, 1000, 1000]],
    [300, 1000, 4, [300, 600, 1000, 1000]],
  ])(
    'base %i, max %i: each opening runs the period the last one set, doubled up to the max',
    (base, max, n, expected) => {
      const p = new OpenPeriod(base, max, () => {});
      const ran: number[] = [];
      for (let i = 0; i < n; i++) {
        p.begin(p.next);
        ran.push(p.current);
      }
      expect(ran).toEqual(expected);
      p.reset();
      expect([p.current, p.next, p.halfOpenAt]).toEqual([base, base, undefined]);
    },
  );

  it('ends once, at the end of the period; halfOpenAt says when', () => {
    const ended = vi.fn();
    const p = new OpenPeriod(1000, 8000, ended);
    p.begin(1000);
    expect(p.halfOpenAt).toBe(1_001_000);
    vi.advanceTimersByTime(999);
    expect(ended).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(p.halfOpenAt).toBeUndefined();
  });

  it('endAt sooner keeps the period length (the gate re-ask) and replaces the timer', () => {
    const ended = vi.fn();
    const p = new OpenPeriod(4000, 8000, ended);
    p.begin(4000);
    p.endAt(Date.now() + 1000);
    expect([p.current, p.halfOpenAt]).toEqual([4000, 1_001_000]);
    vi.advanceTimersByTime(1000);
    expect(ended).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('an early probe interrupts the period and resumes it to the same end', () => {
    const ended = vi.fn();
    const p = new OpenPeriod(5000, 8000, ended);
    p.begin(5000);
    vi.advanceTimersByTime(2000);
    p.interrupt();
    expect(p.halfOpenAt).toBeUndefined();
    vi.advanceTimersByTime(1000);
    p.resume();
    expect(p.halfOpenAt).toBe(1_005_000);
    vi.advanceTimersByTime(1999);
    expect(ended).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('stop: no end comes', () => {
    const ended = vi.fn();
    const p = new OpenPeriod(1000, 8000, ended);
    p.begin(1000);
    p.stop();
    vi.advanceTimersByTime(5000);
    expect(ended).not.toHaveBeenCalled();
  });
});
