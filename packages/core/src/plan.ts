/**
 * The types the call path shares (types only, no code): how one call runs, and what the targets
 * of one router share. attempt.ts, call.ts and target-health.ts import from here, never from each
 * other in a circle.
 *
 * @internal
 */
import type { Attempt, Operation } from './attempt.js';
import type { RetryBudget } from './budget.js';
import type { Classifier } from './classify.js';
import type { TypedEmitter } from './emitter.js';
import type { FailoverEvents } from './events.js';
import type { FailureKind } from './failure-kind.js';
import type { CallObservation, CallObserver } from './observer.js';
import type { HedgePolicy, RetryOptions } from './options.js';
import type { StallMonitor } from './stall.js';
import type { Timeouts } from './timeout-queue.js';

// biome-ignore lint/suspicious/noExplicitAny: the breaker runs operations of any target type and result
export type AnyOperation = Operation<any, unknown>;

/** How one call runs, fixed when it starts. `H` is the router's per-target health type. */
export interface CallPlan<H> {
  readonly order: readonly H[];
  readonly idempotent: boolean;
  /** False: one attempt only, its failure rethrown (see `RunOptions.replayable`). */
  readonly replayable: boolean;
  readonly signal: AbortSignal | undefined;
  readonly deadlineMs: number | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly hedge: HedgePolicy | undefined;
  /** Attempts per target for this call (`RunOptions.maxAttempts`); undefined: the router's. */
  readonly maxAttempts?: number | undefined;
  /** What the call does (`RunOptions.operation`), for the breaker's per-operation streaks. */
  readonly operation?: string | undefined;
  /** Releases a value that arrives after the call ended (`RunOptions.dispose`). */
  readonly dispose?: ((value: unknown) => void) | undefined;
  readonly detailed: boolean;
  /** The observer's handle on this call, when the router has an observer. */
  readonly observation: CallObservation | undefined;
}

/** What a call needs from its router. */
export interface CallCore {
  readonly retry: Required<RetryOptions>;
  readonly budget: RetryBudget | undefined;
  readonly events: TypedEmitter<FailoverEvents>;
  /** The router's shared time limits (deadlines and attempt timeouts). */
  readonly timeouts: Timeouts;
  /** Event-loop stalls of this process. */
  readonly stalls: StallMonitor;
  /**
   * Whether adaptive hedging explores on this call (see `ExplorePacer`); `samples`: the samples
   * recorded so far of the targets it does not know yet.
   */
  explore(samples: number): boolean;
  /** A target was demoted until `until` (a `Date.now()` time): calls order targets accordingly. */
  demoted(until: number): void;
  /** The router's observer (hook errors are reported once per observer). */
  readonly observer: CallObserver | undefined;
  /** Whether a failed operation of a replayable attempt is a local stall's doing (run it again). */
  readonly rerunOnStall: (err: unknown, attempt: Attempt) => boolean;
}

/** What every target of one router shares. */
export interface HealthShared {
  /** The router's `classify` option. */
  readonly classify: Classifier | undefined;
  /** The kind the breaker filter gave each failed plain attempt's error, for the router to read back. */
  readonly kinds: WeakMap<object, FailureKind>;
  /** The router's events. */
  readonly events: TypedEmitter<FailoverEvents>;
  /** The router's retry budget: every successful attempt puts `successRefund` tokens back. */
  readonly budget: RetryBudget | undefined;
  /** Event-loop stalls of this process. */
  readonly stalls: StallMonitor;
  /**
   * True when `name` is the last of several targets with a closed breaker: the router has other
   * targets and none of them is closed (see `breaker.keepLastTarget`).
   */
  lastClosed(name: string): boolean;
  /**
   * Continues a call whose lead attempt (an `Attempt` with a plan: the first attempt of a call
   * the router runs without a `Call`) failed with an availability kind. Called from the breaker's
   * fallback, so the caller's promise simply follows the rest of the call.
   */
  resume(
    health: unknown,
    fn: AnyOperation,
    lead: Attempt | LeadContext,
    err: unknown,
    kind: FailureKind,
  ): Promise<unknown>;
}

/**
 * The context of a lead attempt that nothing can cancel (no time limit, deadline, hedge or caller
 * signal): passed to the operation as is (no `Attempt`, no extra promise), it tells the breaker's
 * fallback which call to continue. Frozen; one per position for the router's default plan.
 */
export interface LeadContext {
  readonly signal: undefined;
  readonly attempt: 1;
  /** The call's plan (a `CallPlan`, opaque here). */
  readonly plan: object;
  /** The lead target's position in the plan's order. */
  readonly position: number;
}
