import { describe, expect, it, vi } from 'vitest';
import { createFailover } from '../src/index.js';
import { StallMonitor } from '../src/stall.js';

describe('StallMonitor (fake timers)', () => {
  it('measures a jump of the clock without callbacks as a stall, and only while busy', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const m = new StallMonitor();
      expect(m.stalledSince(0)).toBe(0);
      m.busy();
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(1000);
      expect(m.stalledSince(0)).toBe(0); // ordinary ticks are no stall
      vi.setSystemTime(Date.now() + 3000);
      expect(m.stalledSince(0)).toBeGreaterThanOrEqual(2950);
      expect(m.explainsTimeout(900, 1000)).toBe(true); // 100 ms of its own time, then 3 s stalled
      expect(m.explainsTimeout(0, 1000)).toBe(false); // it had its 1000 ms before the stall
      expect(m.explainsFailure(900)).toBe(true);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(m.stalledSince(Date.now() - 5000)).toBe(0); // long ago
      m.idle();
      expect(vi.getTimerCount()).toBe(0);
      m.busy();
      m.close();
      m.busy();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

/**
 * A real blocked event loop (the phenomenon cannot be faked: a stall makes timers fire late, and
 * fake timers are never late). Nothing here depends on how fast the machine is: the loop is
 * blocked for at least 400 ms by the clock, and only outcomes are asserted.
 */
describe('a real event-loop stall (real timers)', () => {
  function blockFor(ms: number): void {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // a CPU-bound stretch of this process
    }
  }

  it('attempts whose time limit passed during the stall get the time they did not have', async () => {
    const fo = createFailover({
      targets: [{ name: 'aws' }, { name: 'gcp' }],
      attemptTimeoutMs: 100,
      hedge: false,
    });
    const opened: string[] = [];
    fo.on('open', (e) => opened.push(e.target));
    // Each answer is ready 10 ms in, but is delivered after the timers of its loop turn (like a
    // socket read in the poll phase).
    const op = (t: { name: string }) =>
      new Promise<string>((resolve) => setTimeout(() => setImmediate(() => resolve(t.name)), 10));
    try {
      // Start the stall monitor before the calls (any call with a time limit does).
      await fo.run(op);
      const calls = Array.from({ length: 20 }, (_, i) => fo.run(op, { idempotent: i % 2 === 0 }));
      blockFor(400);
      const results = await Promise.all(calls);
      expect(results).toEqual(calls.map(() => 'aws'));
      expect(opened).toEqual([]);
      expect(fo.status().targets[0]?.timeouts).toBe(0);
    } finally {
      fo.close();
    }
  });
});
