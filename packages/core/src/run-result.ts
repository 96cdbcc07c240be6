import type { TargetFailure } from './errors.js';

/** The result of {@link Failover.runDetailed}: the value and who served it. */
export interface RunResult<T, R> {
  /** What the operation returned. */
  readonly value: R;
  /** The target that served the call. */
  readonly target: T;
  /** Attempts made by the call over every target, the successful one included. */
  readonly attempts: number;
  /** The failures met on the way (empty when the first attempt succeeded), in target order. */
  readonly failures: readonly TargetFailure[];
}
