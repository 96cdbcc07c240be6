import { type FailureKind, isAvailabilityKind } from '@failover/core';

/**
 * The decisions of a parallel write (`quorum` and `'mirror'`, parallel-write.ts), pure and
 * table-tested (test/multi-parallel-decide.test.ts): when the quorum is there, when the caller may
 * have its answer before the record of the missing targets is durable, and what the answers of
 * every target mean once all are in.
 *
 * @internal
 */

/** Failure kinds that fail a parallel write whatever the other targets did. */
export function isFatal(kind: FailureKind, mirror: boolean): boolean {
  if (kind === 'precondition' || kind === 'aborted') return true;
  return mirror && !isAvailabilityKind(kind);
}

/**
 * True when a `quorum` write (`need` copies; `undefined`: `'mirror'`, which waits for every
 * target) may be acknowledged now: `copies` targets took it and no failure so far is fatal.
 */
export function quorumReached(
  need: number | undefined,
  copies: number,
  failures: readonly FailureKind[],
): boolean {
  return need !== undefined && failures.every((k) => !isFatal(k, false)) && copies >= need;
}

/** What is known of a parallel write at its quorum. */
export interface AtQuorum {
  /** Targets that answered (took it or failed) so far. */
  readonly answered: number;
  /** Targets the write went to. */
  readonly targets: number;
  /** Targets that failed so far. */
  readonly failures: number;
  /** Targets the write may still land on late (an answerless request). */
  readonly uncertain: number;
  /** The key has no pending journal entry but this write's own intent (never known with a journal shared by a fleet). */
  readonly onlyOwnIntent: boolean;
  /** A request of the key may still land late on some target (its window is open). */
  readonly windowOpen: boolean;
}

/**
 * True when, should every target take the write before the record of the missing ones is durable,
 * the caller may have its answer then (nothing needed recording): no target failed or may land
 * late, no older entry of the key must be superseded, and no earlier request of the key may land.
 */
export function recordOptional(f: AtQuorum): boolean {
  return f.answered < f.targets && f.failures === 0 && f.uncertain === 0 && f.onlyOwnIntent && !f.windowOpen;
}

/** What every target's answer means, once all are in and no quorum was acknowledged early. */
export type SettleDecision =
  /** A conditional write another target refused: undone where it was made, the refusal thrown. */
  | { readonly type: 'rollback'; readonly fatal: number }
  /** Enough copies (or, `degraded`, at least `minimum` while the others are down): journaled. */
  | { readonly type: 'acknowledge'; readonly degraded: boolean }
  /** The write failed (`fatal`: the index of the failure that decides its error, if one does). */
  | { readonly type: 'fail'; readonly fatal: number | undefined };

/** The facts {@link decideSettle} weighs. */
export interface SettleFacts {
  /** Copies the write mode asks for; `undefined`: `'mirror'` (one is enough when none is fatal). */
  readonly need: number | undefined;
  /** The store's `minimum` (a degraded acknowledgement), if set. */
  readonly minimum: number | undefined;
  /** Targets that took the write. */
  readonly holders: number;
  /** The kinds of the failures, in target order. */
  readonly failures: readonly FailureKind[];
  /** The write can be undone where it was made (it was conditional). */
  readonly canRollback: boolean;
}

/** Decides a parallel write once every target has answered. */
export function decideSettle(f: SettleFacts): SettleDecision {
  const mirror = f.need === undefined;
  const index = f.failures.findIndex((k) => isFatal(k, mirror));
  const fatal = index < 0 ? undefined : index;
  if (fatal !== undefined && f.failures[fatal] === 'precondition' && f.canRollback) {
    return { type: 'rollback', fatal };
  }
  const enough = f.holders >= (f.need ?? 1);
  // Fewer copies than asked for, because the other targets are down: enough when `minimum` says so.
  const degraded =
    !enough &&
    fatal === undefined &&
    f.minimum !== undefined &&
    f.holders >= f.minimum &&
    f.failures.every((k) => isAvailabilityKind(k));
  if (fatal === undefined && (enough || degraded)) return { type: 'acknowledge', degraded };
  return { type: 'fail', fatal };
}
