import CircuitBreaker from 'opossum';
import type { Attempt, AttemptContext, Operation } from './attempt.js';
import type { RetryBudget } from './budget.js';
import { type Classifier, classifyFailure } from './classify.js';
import type { TypedEmitter } from './emitter.js';
import type { FailoverEvents } from './events.js';
import { FAILURE_KINDS, type FailureKind, isAvailabilityKind } from './failure-kind.js';
import { LatencyWindow } from './latency.js';
import type { BreakerOptions } from './options.js';
import type { BreakerState, TargetStatus } from './status.js';

/** What every target of one router shares. */
export interface SharedContext {
  /** The router's `classify` option. */
  readonly classify: Classifier | undefined;
  /** The kind the breaker filter gave each failed plain attempt's error, for the router to read back. */
  readonly kinds: WeakMap<object, FailureKind>;
  /** The router's events. */
  readonly events: TypedEmitter<FailoverEvents>;
  /** The router's retry budget: every successful attempt puts `successRefund` tokens back. */
  readonly budget: RetryBudget | undefined;
  /**
   * Continues a fast-path call whose first attempt failed with an availability kind (called from
   * the breaker's fallback, so the caller's promise simply follows the rest of the call).
   */
  recover(
    s: TargetHealth<never>,
    fn: AnyOperation,
    idempotent: boolean,
    err: unknown,
    kind: FailureKind,
  ): Promise<unknown>;
  /**
   * Continues a call whose lead attempt (an `Attempt` with a `plan`: the first attempt of a call
   * with a deadline or an attempt timeout, run without a `Call`) failed with an availability kind.
   */
  resume(
    s: TargetHealth<never>,
    fn: AnyOperation,
    attempt: Attempt,
    err: unknown,
    kind: FailureKind,
  ): Promise<unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: the breaker runs operations of any target type and result
export type AnyOperation = Operation<any, unknown>;
type BreakerArgs = [fn: AnyOperation, target: unknown, context: AttemptContext, attempt?: Attempt];

/** opossum's options object, which it reads again each time it opens (for the reset timer). */
interface BreakerInternals {
  options: { resetTimeout: number };
}

/** The breaker's action: a plain attempt calls the operation, a controlled one goes through its Attempt. */
function breakerAction(
  fn: AnyOperation,
  target: unknown,
  context: AttemptContext,
  attempt?: Attempt,
): Promise<unknown> {
  return attempt === undefined ? fn(target, context) : attempt.start(fn, target);
}

/**
 * One target's breaker (opossum) and health counters.
 *
 * The breaker runs with opossum's own timeout and percentile statistics off. Its error filter
 * classifies each failure once: only availability kinds count against it. It reopens with a
 * doubled reset timeout (up to the maximum) after a failed probe and goes back to the base
 * timeout when it closes.
 */
export class TargetHealth<T> {
  /** The user's target object. */
  readonly target: T;
  /** Its name. */
  readonly name: string;
  /** Its opossum breaker. */
  readonly breaker: CircuitBreaker<BreakerArgs, unknown>;
  /**
   * The context of a fast-path first attempt (no signal), shared by every such call so it costs no
   * allocation. Its identity also tells the breaker's fallback that a failure belongs to a
   * fast-path call of the router's default kind (not idempotent), which it must continue.
   */
  readonly plainContext: AttemptContext = Object.freeze({ signal: undefined, attempt: 1 });
  /** The same for fast-path calls with `idempotent: true`. */
  readonly idempotentContext: AttemptContext = Object.freeze({ signal: undefined, attempt: 1 });
  /** Successful attempts. */
  successes = 0;
  /** Failed attempts, by kind. */
  readonly failures: Record<FailureKind, number>;
  /** Calls that skipped this target (breaker open). */
  rejections = 0;
  /** Retries made on this target. */
  retries = 0;
  /** Hedged attempts started on this target. */
  hedges = 0;
  /** Latency of recent attempts. */
  readonly latency = new LatencyWindow();
  #lastKind: FailureKind | undefined;
  #lastAt = 0;
  readonly #baseResetMs: number;
  readonly #maxResetMs: number;
  #currentResetMs: number;
  #openedAt: number | undefined;
  readonly #shared: SharedContext;
  /** The filter just let an error through as "not a failure": opossum's next 'success' is not one. */
  #filtered = false;
  /** The kind the filter gave the last failure; read synchronously by the fallback. */
  #filterKind: FailureKind = 'unknown';

  constructor(
    target: T & { readonly name: string },
    breaker: Required<BreakerOptions>,
    shared: SharedContext,
  ) {
    this.target = target;
    this.name = target.name;
    this.#shared = shared;
    this.#baseResetMs = breaker.resetTimeoutMs;
    this.#maxResetMs = breaker.maxResetTimeoutMs;
    this.#currentResetMs = breaker.resetTimeoutMs;
    this.failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
    const b = new CircuitBreaker<BreakerArgs, unknown>(breakerAction, {
      name: target.name,
      timeout: false,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorThresholdPercentage: breaker.errorThresholdPercentage,
      volumeThreshold: breaker.volumeThreshold,
      rollingCountTimeout: breaker.rollingWindowMs,
      rollingCountBuckets: 10,
      resetTimeout: breaker.resetTimeoutMs,
      errorFilter: this.#filter,
    });
    this.breaker = b;
    b.fallback(this.#fallback);
    b.on('success', (_result: unknown, latencyMs: number) => {
      this.latency.record(latencyMs);
      if (this.#filtered) {
        this.#filtered = false;
        return;
      }
      this.successes++;
      const budget = this.#shared.budget;
      if (budget !== undefined && budget.tokens < budget.capacity) budget.refund(budget.successRefund);
    });
    b.on('failure', (_err: unknown, latencyMs: number) => this.latency.record(latencyMs));
    b.on('open', () => {
      this.#currentResetMs = this.#internals().options.resetTimeout;
      this.#openedAt = Date.now();
      const events = this.#shared.events;
      if (events.has('open')) {
        events.emit('open', {
          target: this.name,
          kind: this.#lastKind,
          resetTimeoutMs: this.#currentResetMs,
        });
      }
    });
    b.on('halfOpen', () => {
      // If the probe fails, the breaker reopens for twice as long (opossum reads this on 'open').
      this.#internals().options.resetTimeout = Math.min(this.#currentResetMs * 2, this.#maxResetMs);
      this.#openedAt = undefined;
      const events = this.#shared.events;
      if (events.has('halfOpen')) {
        events.emit('halfOpen', { target: this.name, resetTimeoutMs: this.#currentResetMs });
      }
    });
    b.on('close', () => {
      this.#internals().options.resetTimeout = this.#baseResetMs;
      this.#currentResetMs = this.#baseResetMs;
      this.#openedAt = undefined;
      const events = this.#shared.events;
      if (events.has('close')) events.emit('close', { target: this.name });
    });
  }

  /** True when a call may go to this target now: closed, or half-open with the probe slot free. */
  admits(): boolean {
    const b = this.breaker;
    return b.closed || b.pendingClose;
  }

  /** The breaker's state. */
  get state(): BreakerState {
    const b = this.breaker;
    if (b.opened) return 'open';
    return b.halfOpen ? 'halfOpen' : 'closed';
  }

  /**
   * The kind of a failed plain attempt's error as the breaker filter classified it (classifying
   * again only if the filter never saw it).
   */
  kindOf(err: unknown, context: AttemptContext): FailureKind {
    if (typeof err === 'object' && err !== null) {
      const kind = this.#shared.kinds.get(err);
      if (kind !== undefined) return kind;
    }
    return this.#classify(err, context, undefined);
  }

  /** A snapshot of this target's health. */
  snapshot(): TargetStatus {
    const state = this.state;
    const resetTimeoutMs = state === 'open' ? this.#currentResetMs : this.#internals().options.resetTimeout;
    return {
      name: this.name,
      state,
      successes: this.successes,
      failures: { ...this.failures },
      timeouts: this.failures.timeout,
      rejections: this.rejections,
      retries: this.retries,
      hedges: this.hedges,
      latencyMs: this.latency.summary(),
      lastFailure: this.#lastKind === undefined ? undefined : { kind: this.#lastKind, at: this.#lastAt },
      resetTimeoutMs,
      halfOpenAt: this.#openedAt === undefined ? undefined : this.#openedAt + this.#currentResetMs,
    };
  }

  /** Stops the breaker's timers. The target is unusable afterwards. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  #internals(): BreakerInternals {
    return this.breaker as unknown as BreakerInternals;
  }

  #classify(err: unknown, context: AttemptContext, attempt: Attempt | undefined): FailureKind {
    if (attempt !== undefined) {
      if (attempt.abortKind !== undefined) return attempt.abortKind;
    } else if (context.signal?.aborted) {
      // A plain attempt's signal is the caller's own: the caller cancelled.
      return 'aborted';
    }
    return classifyFailure(err, this.#shared.classify);
  }

  /**
   * opossum's error filter: true means "not a failure of the target". Called once per failed
   * attempt, with the breaker's arguments after the error.
   */
  readonly #filter = (err: unknown, ...args: unknown[]): boolean => {
    const context = args[2] as AttemptContext;
    const attempt = args[3] as Attempt | undefined;
    const kind = this.#classify(err, context, attempt);
    this.#filterKind = kind;
    this.failures[kind]++;
    if (attempt !== undefined) attempt.kind = kind;
    else if (typeof err === 'object' && err !== null) this.#shared.kinds.set(err, kind);
    if (isAvailabilityKind(kind)) {
      this.#lastKind = kind;
      this.#lastAt = Date.now();
      return false;
    }
    if (kind === 'aborted' && this.breaker.halfOpen) {
      // A cancelled probe proves nothing: reopen for the same timeout, not a doubled one.
      this.#internals().options.resetTimeout = this.#currentResetMs;
      this.#lastKind = kind;
      this.#lastAt = Date.now();
      return false;
    }
    this.#filtered = true;
    return true;
  };

  /**
   * opossum's fallback, called synchronously after the filter for every failure that counts
   * against the breaker, with the breaker's four arguments and then the error. A fast-path call
   * (recognised by its shared context) or a lead attempt (an attempt with a plan) continues with
   * failover and retries; any other call gets its error back as a rejection.
   */
  readonly #fallback = (...args: unknown[]): Promise<unknown> => {
    const context = args[2];
    const attempt = args[3] as Attempt | undefined;
    const err = args[4];
    if (context === this.plainContext || context === this.idempotentContext) {
      return this.#shared.recover(
        this as unknown as TargetHealth<never>,
        args[0] as AnyOperation,
        context === this.idempotentContext,
        err,
        this.#filterKind,
      );
    }
    if (attempt?.plan !== undefined) {
      return this.#shared.resume(
        this as unknown as TargetHealth<never>,
        args[0] as AnyOperation,
        attempt,
        err,
        this.#filterKind,
      );
    }
    return Promise.reject(err);
  };
}
