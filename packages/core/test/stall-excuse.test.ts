import { describe, expect, it, vi } from 'vitest';
import { type AnswerSource, StallMonitor, simulateEventLoopLag } from '../src/stall.js';
import {
  decideStallExcuse,
  HIDING_STALL_MS,
  type StallExcuse,
  type StallFacts,
} from '../src/stall-excuse.js';

const NO: StallExcuse = { excused: false, extendMs: 0 };
const YES: StallExcuse = { excused: true, extendMs: 0 };
const extend = (extendMs: number): StallExcuse => ({ excused: true, extendMs });

describe('decideStallExcuse', () => {
  const table: [string, StallFacts, StallExcuse][] = [
    // A timeout the operation reported itself (an SDK's or a cloud store's own timer).
    ['a 3 s stall in a 3.5 s attempt', { elapsedMs: 3500, stalledMs: 3000, limitMs: undefined }, YES],
    ['stalls making a quarter of the attempt', { elapsedMs: 2000, stalledMs: 500, limitMs: undefined }, YES],
    ['stalls making less than a quarter', { elapsedMs: 2000, stalledMs: 499, limitMs: undefined }, NO],
    [
      'no long stall since a peer answered (its small lags were left out)',
      { elapsedMs: 2000, stalledMs: 0, limitMs: undefined },
      NO,
    ],
    [
      'a short attempt with one stall just under the floor',
      { elapsedMs: 150, stalledMs: HIDING_STALL_MS - 1, limitMs: undefined },
      NO,
    ],
    [
      'a short attempt with one stall at the floor',
      { elapsedMs: 150, stalledMs: HIDING_STALL_MS, limitMs: undefined },
      YES,
    ],
    // The router's own attempt limit.
    [
      'a 3 s stall: the attempt had 100 ms of its 1000: 900 more',
      { elapsedMs: 3100, stalledMs: 3000, limitMs: 1000 },
      extend(900),
    ],
    ['it had its whole limit before the stall', { elapsedMs: 1400, stalledMs: 400, limitMs: 1000 }, NO],
    [
      'it had a little less: the rest, rounded up',
      { elapsedMs: 1399.5, stalledMs: 400, limitMs: 1000 },
      extend(1),
    ],
    [
      'stalled more than it lived (several looks): 1 ms at least',
      { elapsedMs: 500, stalledMs: 900, limitMs: 100 },
      extend(100),
    ],
    ['no long stall: the limit simply passed', { elapsedMs: 1000, stalledMs: 90, limitMs: 1000 }, NO],
  ];

  it.each(table)('%s', (_name, facts, expected) => {
    expect(decideStallExcuse(facts)).toEqual(expected);
  });
});

describe('StallMonitor: which stalls excuse a timeout (fake timers)', () => {
  function setUp(): {
    m: StallMonitor;
    aws: { name: string; answeredAt: number };
    gcp: AnswerSource & { answeredAt: number };
  } {
    const m = new StallMonitor();
    const aws = { name: 'aws', answeredAt: 0 };
    const gcp = { name: 'gcp', answeredAt: 0 };
    m.watch(aws);
    m.watch(gcp);
    m.busy();
    return { m, aws, gcp };
  }

  it('one 3 s block excuses a timeout; sustained small lags never do', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { m } = setUp();
      await vi.advanceTimersByTimeAsync(100);
      vi.setSystemTime(Date.now() + 3000); // blocked for 3 s
      await vi.advanceTimersByTimeAsync(400);
      expect(m.explainsFailure(0, 'aws')).toBe(true);
      m.close();

      const loaded = setUp().m;
      const start = Date.now();
      // 2 s in which every tick is 60 ms late (a loaded machine): 2.4 s of lag in all, each
      // delaying an answer by 60 ms at most.
      for (let t = 0; t < 40; t++) {
        vi.setSystemTime(Date.now() + 60);
        await vi.advanceTimersByTimeAsync(50);
      }
      expect(loaded.stalledSince(start)).toBeGreaterThan(1000);
      expect(loaded.explainsFailure(start, 'aws')).toBe(false);
      expect(loaded.explainsTimeout(start, 1000, 'aws')).toBe(false);
      loaded.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a peer answering after a stall proves the process listened: only later stalls count', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { m, gcp, aws } = setUp();
      const start = Date.now();
      await vi.advanceTimersByTimeAsync(100);
      vi.setSystemTime(Date.now() + 1500); // blocked for 1.5 s
      await vi.advanceTimersByTimeAsync(100);
      // Before anyone answered: the stall excuses aws's timeout.
      expect(m.explainsFailure(start, 'aws')).toBe(true);
      // gcp answers now; aws stays silent for 1 s more, with the process running.
      gcp.answeredAt = m.lastLook;
      await vi.advanceTimersByTimeAsync(1000);
      expect(m.explainsFailure(start, 'aws')).toBe(false);
      expect(m.explainsTimeout(start, 2000, 'aws')).toBe(false);
      // Its own answers prove nothing about it, and another target's view is the same.
      aws.answeredAt = m.lastLook;
      expect(m.explainsFailure(start, 'gcp')).toBe(false);
      // A new stall after the peer's answer counts again.
      vi.setSystemTime(Date.now() + 3000);
      await vi.advanceTimersByTimeAsync(50);
      expect(m.explainsFailure(start, 'aws')).toBe(true);
      m.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('the test seam simulates a CPU-bound process: every tick that much late', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { m, gcp } = setUp();
      simulateEventLoopLag(150);
      const start = Date.now();
      await vi.advanceTimersByTimeAsync(2000);
      // 150 ms per tick: long stalls, which excuse a silent attempt while nobody answers...
      expect(m.stalledSince(start, HIDING_STALL_MS)).toBeGreaterThan(2000);
      expect(m.explainsFailure(start, 'aws')).toBe(true);
      // ... but not one whose peer answered a tick ago.
      gcp.answeredAt = m.lastLook;
      await vi.advanceTimersByTimeAsync(50);
      expect(m.explainsFailure(start, 'aws')).toBe(false);
      simulateEventLoopLag(0);
      await vi.advanceTimersByTimeAsync(2000);
      expect(m.stalledSince(Date.now() - 1500)).toBe(0);
      m.close();
    } finally {
      simulateEventLoopLag(0);
      vi.useRealTimers();
    }
  });
});
