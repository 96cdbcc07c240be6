/**
 * Fast ejection: the breaker's three consecutive-failure triggers, as a pure decision (no clock, no
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
  /**
   * Failures in a row of the failing call's operation (`RunOptions.operation`, or the operation a
   * late failure was reported for), counted over that operation's own calls only: calls of other
   * operations in between neither extend nor end it. `undefined` for a call with no operation.
   */
  readonly operation?: number | undefined;
}

/**
 * The three thresholds (`breaker.consecutiveFailures`, `breaker.consecutiveConnectFailures`,
 * `breaker.consecutiveOperationFailures`); 0: off.
 */
export interface EjectionLimits {
  readonly consecutiveFailures: number;
  readonly consecutiveConnectFailures: number;
  /** Absent: 0 (off). */
  readonly consecutiveOperationFailures?: number;
}

/** Which trigger opened the breaker. */
export type EjectionTrigger = 'consecutive' | 'unreachable' | 'operation';

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
 * - a failure of a call that names its operation also extends that operation's streak; the
 *   breaker opens when it reaches `consecutiveOperationFailures` **and** is longer than the
 *   `failures` streak: some other call succeeded (or answered) on the target while this operation
 *   kept failing. That is a *selective* failure: the target is up (its other answers prove it)
 *   but one operation of it is broken (downloads cut mid-body while uploads pass, a broken read
 *   path). The `failures` streak never grows there (each success of the other operations ends
 *   it), so without this trigger the target would never be left. While nothing else succeeds in
 *   between, the two streaks are equal and `consecutiveFailures` decides, as before;
 * - a threshold of 0 switches its trigger off.
 *
 * Successes and answers reset `failures` and `unreachable` ({@link NO_STREAKS}), and the streak
 * of their own operation only; failures that do not count (a cancelled attempt, one cut by this
 * process's own stall) leave them as they are.
 */
export function decideEjection(
  streaks: Streaks,
  unreachable: boolean,
  limits: EjectionLimits,
): EjectionDecision {
  const failures = streaks.failures + 1;
  const unreachableRun = unreachable ? streaks.unreachable + 1 : 0;
  const operation = streaks.operation === undefined ? undefined : streaks.operation + 1;
  const connect = limits.consecutiveConnectFailures;
  const any = limits.consecutiveFailures;
  const selective = limits.consecutiveOperationFailures ?? 0;
  let trigger: EjectionTrigger | undefined;
  if (connect > 0 && unreachableRun >= connect) trigger = 'unreachable';
  else if (any > 0 && failures >= any) trigger = 'consecutive';
  else if (selective > 0 && operation !== undefined && operation >= selective && operation > failures) {
    trigger = 'operation';
  }
  return { failures, unreachable: unreachableRun, operation, trigger };
}
