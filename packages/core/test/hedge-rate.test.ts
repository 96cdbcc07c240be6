import { describe, expect, it, vi } from 'vitest';
import type { AttemptContext, FailoverTarget } from '../src/index.js';
import { track, useFakeTimerRouters } from './helpers.js';

/** A seeded generator in [0, 1) (a linear congruential one: enough for a latency model). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

describe('adaptive hedging: how many calls it hedges', () => {
  const { make } = useFakeTimerRouters({ budget: false }, { checkTimers: true });

  // aws answers in 10 ms plus an exponential tail (mean 8 ms: p95 about 34 ms); gcp in 12 ms,
  // which is not 3x faster than aws's median. Hedging after aws's p95 should hedge about 5 % of
  // the calls (2.6 % here: the wait is the p95 rounded up to 5 ms), whatever the races aws loses record (the time they ran, a lower
  // bound: call-end.ts) and however fast gcp is at its median but for a 3x gap.
  it('about 5 % of the calls to a heavy-tailed first target, not more: hedges do not feed on their own cuts', async () => {
    const fo = make({ hedge: { afterMs: 'auto' } });
    const random = rng(20261203);
    const op = (target: FailoverTarget, ctx: AttemptContext): Promise<string> => {
      const ms = target.name === 'aws' ? 10 + Math.floor(-8 * Math.log(1 - random())) : 12;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(target.name), ms);
        ctx.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal?.reason);
        });
      });
    };
    const calls = 1500;
    const warmUp = 300;
    let hedged = 0;
    const off = fo.on('hedge', () => {
      hedged++;
    });
    for (let i = 0; i < calls; i++) {
      if (i === warmUp) hedged = 0;
      const call = track(fo.run(op, { idempotent: true }));
      while (!call.settled) await vi.advanceTimersToNextTimerAsync();
      expect(call.error).toBeUndefined();
    }
    off();
    const share = hedged / (calls - warmUp);
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.075);
  });
});
