/**
 * What one failed attempt means for its target's breaker, as a pure decision (no clock, no I/O),
 * table-tested in test/failure-verdict.test.ts. `TargetHealth`'s opossum error filter gathers the
 * facts (the failure's kind, whether this process's own stall explains it, the breaker's state),
 * asks {@link decideFailure}, and applies the verdict.
 *
 * @internal
 */

import type { FailureKind } from './failure-kind.js';
import { isAvailabilityKind } from './failure-kind.js';
import type { BreakerState } from './status.js';

/** The facts of one failed attempt. */
export interface FailureFacts {
  /** Its kind, as classified. */
  readonly kind: FailureKind;
  /** It timed out because this process stalled (its own event loop), not the target. */
  readonly localStall: boolean;
  /** The breaker's state when it failed. */
  readonly state: BreakerState;
  /** The half-open state was entered early (panic routing's early probe). */
  readonly early: boolean;
  /** The call named its operation (`RunOptions.operation`). */
  readonly operation: boolean;
}

/**
 * What the breaker does about it:
 *
 * - `reopen-early`: an early probe failed (or proved nothing): open as it was, until the end of
 *   the same period;
 * - `open-doubled`: the half-open probe failed: open again, for the next (doubled) period;
 * - `open-same`: the half-open probe was cancelled or cut by this process's stall: open again for
 *   the same period (it proves nothing);
 * - `count`: closed: count it towards fast ejection (ejection.ts);
 * - `none`: nothing changes.
 */
export type BreakerMove = 'reopen-early' | 'open-doubled' | 'open-same' | 'count' | 'none';

/** The verdict on one failed attempt. */
export interface FailureVerdict {
  /** Counts against the target (opossum sees a failure); false: filtered out ("not a failure"). */
  readonly failure: boolean;
  readonly move: BreakerMove;
  /** Becomes the target's last failure (its kind and time, for the status and panic routing). */
  readonly recordLast: boolean;
  /** Ends the streak of the call's operation: the target answered it (a 404 on a read...). */
  readonly endsOperationStreak: boolean;
  /** Filtered and no success either: neither an outage nor an answer (cancelled, or a local stall). */
  readonly neutral: boolean;
}

/** The verdict on one failed attempt (see {@link FailureVerdict}). */
export function decideFailure(f: FailureFacts): FailureVerdict {
  const provesNothing = f.kind === 'aborted' || f.localStall;
  if (isAvailabilityKind(f.kind) && !f.localStall) {
    const move: BreakerMove =
      f.state === 'halfOpen'
        ? f.early
          ? 'reopen-early'
          : 'open-doubled'
        : f.state === 'closed'
          ? 'count'
          : 'none';
    return { failure: true, move, recordLast: true, endsOperationStreak: false, neutral: false };
  }
  const endsOperationStreak = f.operation && !provesNothing;
  if (f.state === 'halfOpen' && provesNothing) {
    return f.early
      ? { failure: true, move: 'reopen-early', recordLast: false, endsOperationStreak, neutral: false }
      : { failure: true, move: 'open-same', recordLast: true, endsOperationStreak, neutral: false };
  }
  return { failure: false, move: 'none', recordLast: false, endsOperationStreak, neutral: provesNothing };
}
