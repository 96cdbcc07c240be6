import { describe, expect, it, vi } from 'vitest';
import { type AnswerSource, StallMonitor, simulateEventLoopLag } from '../src/stall.js';
import {
  decideStallExcuse,
  HIDING_STALL_MS,
  MIN_EXCUSE_MS,
  type StallExcuse,
  type StallFacts,
} from '../src/stall-excuse.js';

const NO: StallExcuse = { excused: false, extendMs: 0 };
const YES: StallExcuse = { excused: true, extendMs: 0 };
const extend = (extendMs: number): StallExcuse => ({ excused: true, extendMs });

describe('decideStallExcuse', () => {
  /** Facts with no peer answer and the operation's own timer, overridden by `f`. */
  const facts = (f: Partial<StallFacts>): StallFacts => ({
    elapsedMs: 2000,
    stalledMs: 0,
    stalledSincePeerMs: undefined,
    limitMs: undefined,
    ...f,
  });
  const table: [string, Partial<StallFacts>, StallExcuse][] = [
    // No peer answered during the attempt: every stall since it started is given back.
    ['a 3 s stall in a 3.5 s attempt', { elapsedMs: 3500, stalledMs: 3000 }, YES],
    ['stalls making a quarter of the attempt', { stalledMs: 500 }, YES],
    ['stalls making less than a quarter', { stalledMs: 499 }, NO],
    ['small lags adding up to a quarter, nobody answering: excused', { stalledMs: 800 }, YES],
    [
      'a short attempt with less than 80 ms of stall in all',
      { elapsedMs: 150, stalledMs: MIN_EXCUSE_MS - 1 },
      NO,
    ],
    ['a short attempt with 80 ms of stall', { elapsedMs: 150, stalledMs: MIN_EXCUSE_MS }, YES],
    // A peer answered during the attempt: only long stalls after that answer count.
    [
      'small lags all along, a peer answered: counted (a blackhole on a loaded machine)',
      { stalledMs: 800, stalledSincePeerMs: 0 },
      NO,
    ],
    [
      'a long stall after the peer answered, a quarter of the attempt: excused',
      { stalledMs: 900, stalledSincePeerMs: 500 },
      YES,
    ],
    ['long stalls after the peer, but less than a quarter', { stalledMs: 2000, stalledSincePeerMs: 400 }, NO],
    [
      'a short attempt: one long stall after the peer, at the floor',
      { elapsedMs: 150, stalledMs: 150, stalledSincePeerMs: HIDING_STALL_MS },
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
      'stalled more than it lived (overlapping looks): its whole limit, no more',
      { elapsedMs: 500, stalledMs: 900, limitMs: 100 },
      extend(100),
    ],
    ['no stall to speak of: the limit simply passed', { elapsedMs: 1000, stalledMs: 19, limitMs: 1000 }, NO],
    [
      'its own limit is a budget of attention: small lags are given back, peers or not',
      { elapsedMs: 1000, stalledMs: 600, stalledSincePeerMs: 0, limitMs: 1000 },
      extend(600),
    ],
    [
      '... but never more than its limit in all',
      { elapsedMs: 2500, stalledMs: 1400, stalledSincePeerMs: 0, limitMs: 1000 },
      NO,
    ],
  ];

  it.each(table)('%s', (_name, f, expected) => {
    expect(decideStallExcuse(facts(f))).toEqual(expected);
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

  it('one 3 s block excuses a timeout; sustained small lags only while no peer answers', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { m } = setUp();
      await vi.advanceTimersByTimeAsync(100);
      vi.setSystemTime(Date.now() + 3000); // blocked for 3 s
      await vi.advanceTimersByTimeAsync(400);
      expect(m.explainsFailure(0, 'aws')).toBe(true);
      m.close();

      const { m: loaded, gcp } = setUp();
      const start = Date.now();
      // 2 s in which every tick is 60 ms late (a loaded machine): 2.4 s of lag in all, each
      // delaying an answer by 60 ms at most.
      const lagging = async (ticks: number) => {
        for (let t = 0; t < ticks; t++) {
          vi.setSystemTime(Date.now() + 60);
          await vi.advanceTimersByTimeAsync(50);
        }
      };
      await lagging(2);
      const peerAnswered = loaded.lastLook;
      await lagging(38);
      expect(loaded.stalledSince(start)).toBeGreaterThan(1000);
      // Nobody answered: this process cannot tell its starvation from aws's silence.
      expect(loaded.explainsFailure(start, 'aws')).toBe(true);
      expect(loaded.explainsTimeout(start, 3000, 'aws')).toBe(true); // 2 s of its 3 listened
      // gcp answered early in the attempt: the process was reading its sockets, and a 60 ms lag
      // hides an answer for 60 ms at most: aws's silence is its own, and the timeout its SDK
      // reported counts. (The router's own limit is a budget of this process's attention: the
      // attempt still gets the time it lagged, at most three times.)
      gcp.answeredAt = peerAnswered;
      expect(loaded.explainsFailure(start, 'aws')).toBe(false);
      expect(loaded.explainsTimeout(start, 3000, 'aws')).toBe(true);
      // An answer from before the attempt proves nothing about it.
      expect(loaded.explainsFailure(peerAnswered + 1, 'aws')).toBe(true);
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
      expect(m.explainsTimeout(start, 1000, 'aws')).toBe(false); // it had 1.2 s of attention
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
