import {
  type AttemptObservation,
  AVAILABILITY_KINDS,
  type CallObservation,
  type CallObserver,
} from '@failover/core';

/** What the observer reports: a failure of `target` that counts, or the first success after some. */
export interface FailureSink {
  /**
   * `neverSent`: the failure proves the target unreachable; `unanswered`: its connection was reset
   * before any answer (see core's `AttemptOutcome`).
   */
  failed(target: string, neverSent: boolean, unanswered: boolean): void;
  succeeded(target: string): void;
}

/**
 * A router observer that tells `sink` about availability failures and about the first success
 * after them, per target. Allocates nothing per call: one call observation, one attempt
 * observation per target, reused.
 */
export function failureObserver(sink: FailureSink): CallObserver {
  const availability = new Set<string>(AVAILABILITY_KINDS);
  /** Targets with a failure reported and no success since. */
  const failing = new Set<string>();
  const attempts = new Map<string, AttemptObservation>();
  const attemptOf = (target: string): AttemptObservation => {
    let observation = attempts.get(target);
    if (observation === undefined) {
      observation = {
        end(outcome) {
          if (outcome.ok) {
            if (failing.delete(target)) sink.succeeded(target);
          } else if (availability.has(outcome.kind)) {
            failing.add(target);
            sink.failed(target, outcome.neverSent === true, outcome.unanswered === true);
          }
        },
      };
      attempts.set(target, observation);
    }
    return observation;
  };
  const call: CallObservation = {
    onAttemptStart: (target) => attemptOf(target),
    end: () => undefined,
  };
  return { onCallStart: () => call };
}
