import { decideEjection, type EjectionLimits, type EjectionTrigger } from './ejection.js';

/**
 * One target's availability failures in a row: fast ejection's inputs (ejection.ts decides). The
 * target-wide streaks restart whenever the breaker opens or closes; each operation's own streak
 * (`RunOptions.operation`) is kept across those, so an operation still broken after a probe of
 * another one succeeded is left again at its next failure.
 */
export class FailureStreaks {
  /** Availability failures in a row (reset by any success or answer). */
  failures = 0;
  /**
   * Of those, the last ones in a row that proved the target unreachable (the request never left);
   * see `breaker.consecutiveConnectFailures`.
   */
  unreachable = 0;
  /** Availability failures in a row per operation, counted over that operation's calls only. */
  readonly #operations = new Map<string, number>();

  /** A success or an answer: the target-wide streaks end, and `operation`'s own when given. */
  answered(operation?: string): void {
    this.restart();
    if (operation !== undefined) this.endOperation(operation);
  }

  /** The breaker opened or closed: the target-wide streaks start again (operations' are kept). */
  restart(): void {
    this.failures = 0;
    this.unreachable = 0;
  }

  /** `operation` succeeded (or got an answer): its streak ends. */
  endOperation(operation: string): void {
    this.#operations.delete(operation);
  }

  /** Another instance says the target is back: every operation's streak ends. */
  clearOperations(): void {
    this.#operations.clear();
  }

  /**
   * A failure while the breaker is open or half-open: only the operation's streak grows (the
   * breaker's own period and probe decide the rest).
   */
  countOperation(operation: string): void {
    this.#operations.set(operation, (this.#operations.get(operation) ?? 0) + 1);
  }

  /**
   * One more availability failure while the breaker is closed (`unreachable`: it proved the target
   * unreachable). Returns the trigger that fired, if one did.
   */
  count(
    unreachable: boolean,
    operation: string | undefined,
    limits: EjectionLimits,
  ): EjectionTrigger | undefined {
    const ops = this.#operations;
    const d = decideEjection(
      {
        failures: this.failures,
        unreachable: this.unreachable,
        operation: operation === undefined ? undefined : (ops.get(operation) ?? 0),
      },
      unreachable,
      limits,
    );
    this.failures = d.failures;
    this.unreachable = d.unreachable;
    if (operation !== undefined && d.operation !== undefined) ops.set(operation, d.operation);
    return d.trigger;
  }
}
