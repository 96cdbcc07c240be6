/**
 * One call's side of the router's observer: starts and ends the observations of its attempts
 * (each exactly once, hedge losers and cut attempts included) and of the call itself. Made only
 * for calls the observer follows: a router without an observer never makes one.
 *
 * @internal
 */
import type { Operation } from './attempt.js';
import { failedBeforeSending, failedWithoutAnswer } from './classify.js';
import { BreakerOpenError } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import type {
  AttemptObservation,
  AttemptOutcome,
  CallObservation,
  CallObserver,
  CallOutcome,
} from './observer.js';
import { safely } from './observer.js';
import type { AnyOperation } from './plan.js';

export class CallObserved {
  readonly #obs: CallObservation;
  /** Whose hook errors are reported (once per observer). */
  readonly #owner: object;
  /** Attempt observations not ended yet. */
  readonly #open = new Set<AttemptObservation>();

  constructor(obs: CallObservation, observer: CallObserver | undefined) {
    this.#obs = obs;
    this.#owner = observer ?? obs;
  }

  /** An attempt starts: its observation (if the observer returned one). */
  attemptStarted(target: string, attempt: number, hedge: boolean): AttemptObservation | undefined {
    const obs = this.#obs;
    const observed = safely(this.#owner, () => obs.onAttemptStart(target, attempt, hedge));
    if (observed !== undefined) this.#open.add(observed);
    return observed;
  }

  /**
   * Ends an attempt's observation (once): a success when `kind` is undefined; `err`, the failure,
   * says whether the request never reached the target (see `AttemptOutcome`).
   */
  attemptEnded(observed: AttemptObservation | undefined, kind: FailureKind | undefined, err?: unknown): void {
    if (observed === undefined || !this.#open.delete(observed)) return;
    safely(this.#owner, () => observed.end(kind === undefined ? { ok: true } : failureOutcome(kind, err)));
  }

  /** The call ended: attempts still running (hedge losers, cut attempts) end as `cut`, then the call. */
  callEnded(outcome: CallOutcome, cut: FailureKind): void {
    for (const observed of [...this.#open]) this.attemptEnded(observed, cut);
    const obs = this.#obs;
    safely(this.#owner, () => obs.end(outcome));
  }
}

/** The operation, run through the attempt observation's `run` (its span active meanwhile). */
export function withObservation<T, R>(fn: Operation<T, R>, observed: AttemptObservation): AnyOperation {
  return (target: T, context) => observed.run!(() => fn(target, context));
}

/** A failed attempt's outcome: whether it proves the target unreachable, or got no answer. */
function failureOutcome(kind: FailureKind, err: unknown): AttemptOutcome {
  if (err instanceof BreakerOpenError) return { ok: false, kind };
  if (failedBeforeSending(err)) return { ok: false, kind, neverSent: true };
  if (failedWithoutAnswer(err)) return { ok: false, kind, unanswered: true };
  return { ok: false, kind };
}
