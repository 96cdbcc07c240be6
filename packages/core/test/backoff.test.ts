import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, type Jitter } from '../src/index.js';

const opts = (jitter: Jitter, baseDelayMs = 100, maxDelayMs = 2000) => ({ baseDelayMs, maxDelayMs, jitter });

describe('backoffDelay', () => {
  it('none: exactly base * 2^(retry-1), capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, undefined, opts('none')))).toEqual([
      100, 200, 400, 800, 1600, 2000,
    ]);
  });

  it('full: from 0 to the exponential cap, both ends reachable', () => {
    expect(backoffDelay(3, undefined, opts('full'), () => 0)).toBe(0);
    expect(backoffDelay(3, undefined, opts('full'), () => 0.999_999_9)).toBe(400);
    expect(backoffDelay(10, undefined, opts('full'), () => 0.999_999_9)).toBe(2000);
  });

  it('decorrelated: from base to three times the previous delay, capped', () => {
    expect(backoffDelay(1, undefined, opts('decorrelated'), () => 0)).toBe(100);
    expect(backoffDelay(1, undefined, opts('decorrelated'), () => 0.999_999_9)).toBe(300);
    expect(backoffDelay(2, 300, opts('decorrelated'), () => 0.999_999_9)).toBe(900);
    expect(backoffDelay(5, 1500, opts('decorrelated'), () => 0.999_999_9)).toBe(2000);
    expect(backoffDelay(5, 1500, opts('decorrelated'), () => 0)).toBe(100);
  });

  it('a zero base means no delay', () => {
    for (const j of ['none', 'full', 'decorrelated'] as const) {
      expect(backoffDelay(3, undefined, opts(j, 0, 0), () => 0.5)).toBe(0);
    }
  });

  it('property: every delay is a whole number of ms within the jitter bounds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Jitter>('none', 'full', 'decorrelated'),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 300_000 }),
        fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (jitter, retry, base, extra, previous, r) => {
          const max = base + extra;
          const d = backoffDelay(retry, previous, opts(jitter, base, max), () => r);
          expect(Number.isInteger(d)).toBe(true);
          const cap = Math.min(max, base * 2 ** (retry - 1));
          if (jitter === 'none') expect(d).toBe(cap);
          if (jitter === 'full') {
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(cap);
          }
          if (jitter === 'decorrelated') {
            const upper = Math.min(max, Math.max(previous ?? base, base) * 3);
            expect(d).toBeGreaterThanOrEqual(Math.min(base, upper));
            expect(d).toBeLessThanOrEqual(upper);
          }
          expect(d).toBeLessThanOrEqual(max);
        },
      ),
    );
  });
});
