import type { FailureKind } from './failure-kind.js';
import type { LatencySummary } from './latency.js';

/** A breaker's state: `closed` (calls flow), `open` (skipped), `halfOpen` (the next call is a probe). */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** One target's health, as {@link Failover.status} reports it. Counts are since the router was created. */
export interface TargetStatus {
  /** The target's name. */
  readonly name: string;
  /** Its breaker's state. */
  readonly state: BreakerState;
  /** Attempts that succeeded. */
  readonly successes: number;
  /**
   * Attempts that failed, by kind. Only availability kinds count against the breaker; the others
   * (a 404...) are answers passed to the caller, and `aborted` counts cancelled attempts.
   */
  readonly failures: Readonly<Record<FailureKind, number>>;
  /** Attempts that timed out (`failures.timeout`). */
  readonly timeouts: number;
  /** Times a call skipped the target because its breaker was open (or its probe was taken). */
  readonly rejections: number;
  /** Retries made on the target. */
  readonly retries: number;
  /** Hedged attempts started on the target. */
  readonly hedges: number;
  /** Latency of its recent attempts (successful or not), in ms. */
  readonly latencyMs: LatencySummary;
  /** Its last failure that counted against the breaker: kind and time (ms since the epoch). */
  readonly lastFailure: { readonly kind: FailureKind; readonly at: number } | undefined;
  /**
   * The reset timeout in ms: while open, the one running now; otherwise the one the next opening
   * will use (doubled after each failed probe, back to `resetTimeoutMs` after a close).
   */
  readonly resetTimeoutMs: number;
  /** While open: when the breaker will let a probe through (ms since the epoch). */
  readonly halfOpenAt: number | undefined;
  /**
   * While demoted (hedged calls kept finding it much slower than another target): until when it
   * is tried after the others (ms since the epoch).
   */
  readonly demotedUntil: number | undefined;
  /** With a `bulkhead`: attempts in flight on the target and calls waiting for a slot. */
  readonly bulkhead: { readonly inflight: number; readonly queued: number } | undefined;
}

/** A snapshot of a router's health. */
export interface FailoverStatus {
  /** Every target, in the router's order. */
  readonly targets: readonly TargetStatus[];
  /** The retry budget's tokens, or `undefined` when the router has no budget. */
  readonly budget: { readonly tokens: number; readonly capacity: number } | undefined;
}
