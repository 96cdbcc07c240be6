/**
 * Fast ejection: the breaker's two consecutive-failure triggers, as a pure decision (no clock, no
 * I/O), table-tested in test/ejection.test.ts. `TargetHealth` keeps the two streaks, asks
 * {@link decideEjection} after each availability failure that counts, and opens the breaker when
 * it names a trigger.
 *
 * @internal
 */

/** Failures in a row on one target, as counted so far. */
export interface Streaks {
  /** Availability failures in a row (any kind). */
  readonly failures: number;
  /** Of those, the last ones in a row that proved the target unreachable (`failedBeforeSending`). */
  readonly unreachable: number;
}

/** The two thresholds (`breaker.consecutiveFailures`, `breaker.consecutiveConnectFailures`); 0: off. */
export interface EjectionLimits {
  readonly consecutiveFailures: number;
  readonly consecutiveConnectFailures: number;
}

/** Which trigger opened the breaker. */
export type EjectionTrigger = 'consecutive' | 'unreachable';

/** The streaks after one more failure, and the trigger that fired (if one did). */
export interface EjectionDecision extends Streaks {
  readonly trigger: EjectionTrigger | undefined;
}

/** The streaks of a target that just succeeded, answered, or changed state. */
export const NO_STREAKS: Streaks = Object.freeze({ failures: 0, unreachable: 0 });

/**
 * The streaks after one more availability failure that counts against the target, and whether it
 * opens the breaker:
 *
 * - every such failure extends the `failures` streak; the breaker opens when it reaches
 *   `consecutiveFailures` (Envoy's consecutive 5xx / gateway failures);
 * - a failure that proves the target unreachable (the request never left: connection refused, name
 *   not resolved, connect or TLS handshake timed out) also extends the `unreachable` streak, any
 *   other failure ends it; the breaker opens when it reaches `consecutiveConnectFailures` (Envoy's
 *   local-origin failures): such a failure is no slow or overloaded answer but proof that the
 *   target cannot be reached from here, so fewer are needed;
 * - a threshold of 0 switches its trigger off.
 *
 * Successes and answers reset both streaks ({@link NO_STREAKS}); failures that do not count (a
 * cancelled attempt, one cut by this process's own stall) leave them as they are.
 */
export function decideEjection(
  streaks: Streaks,
  unreachable: boolean,
  limits: EjectionLimits,
): EjectionDecision {
  const failures = streaks.failures + 1;
  const unreachableRun = unreachable ? streaks.unreachable + 1 : 0;
  const connect = limits.consecutiveConnectFailures;
  const any = limits.consecutiveFailures;
  let trigger: EjectionTrigger | undefined;
  if (connect > 0 && unreachableRun >= connect) trigger = 'unreachable';
  else if (any > 0 && failures >= any) trigger = 'consecutive';
  return { failures, unreachable: unreachableRun, trigger };
}
