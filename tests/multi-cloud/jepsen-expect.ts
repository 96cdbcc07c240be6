import { expect } from 'vitest';
import type { SoakResult } from './jepsen.js';

/**
 * How long a soak test may run. About 45 s to 4 min alone on the 2-core machine; a loaded CI run
 * (the whole suite beside two busy loops) slowed one past 240 s (the fleet soak with Redis faults,
 * stop 54), nothing hung. The soaks assert no timing: this only catches a hang; the settle phase
 * has its own 120 s deadline.
 */
export const SOAK_LIMIT_MS = 600_000;

/**
 * What every Jepsen-style soak test asserts: the harness ran, calls succeeded, repair drained the
 * backlog, and the checker found nothing lost, corrupt, stale or resurrected, on no key diverging
 * between clouds. `summary` (the printed report with its replay command) goes with each failure.
 */
export function expectSoakClean(result: SoakResult, summary: string): void {
  expect(result.harnessError, summary).toBeUndefined();
  expect(result.outcomes.ok, summary).toBeGreaterThan(0);
  expect(result.settle.backlogAfter, summary).toBe(0);
  expect(result.check.total, summary).toEqual({ lost: 0, corrupt: 0, stale: 0, resurrected: 0 });
  expect(result.check.divergentKeys, summary).toEqual([]);
}
