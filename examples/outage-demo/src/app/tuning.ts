/** Breaker and repair timings for a run: the defaults are made for real outages; a demo compresses hours into seconds. */
export interface Tuning {
  readonly breaker: {
    readonly volumeThreshold: number;
    readonly errorThresholdPercentage: number;
    readonly rollingWindowMs: number;
    readonly resetTimeoutMs: number;
    readonly maxResetTimeoutMs: number;
  };
  /** Time limit of one attempt on one cloud (a black hole is left after this long). */
  readonly attemptTimeoutMs: number;
  /** Repair runs this long after a write was journaled... */
  readonly repairDelayMs: number;
  /** ...and at least this often. */
  readonly repairIntervalMs: number;
}

const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.round(n)));

/**
 * Timings scaled to the run: a 120 s run probes a dead cloud after 3 s (then 6 s, 12 s), a 15 s
 * run after 0.4 s, so that failing back fits in the recovery phase either way.
 */
export function tuningFor(durationMs: number): Tuning {
  const s = durationMs / 120_000;
  const resetTimeoutMs = clamp(3_000 * s, 300, 5_000);
  return {
    breaker: {
      volumeThreshold: 5,
      errorThresholdPercentage: 50,
      rollingWindowMs: clamp(5_000 * s, 1_000, 10_000),
      resetTimeoutMs,
      maxResetTimeoutMs: resetTimeoutMs * 4,
    },
    attemptTimeoutMs: clamp(1_500 * Math.sqrt(s), 900, 2_000),
    repairDelayMs: 300,
    repairIntervalMs: clamp(5_000 * s, 1_000, 10_000),
  };
}
