import { Attempt, type AttemptContext, type Operation } from './attempt.js';
import { backoffDelay } from './backoff.js';
import type { RetryBudget } from './budget.js';
import { failedBeforeSending } from './classify.js';
import type { TypedEmitter } from './emitter.js';
import {
  AbortedError,
  AllTargetsFailedError,
  BreakerOpenError,
  DeadlineExceededError,
  type TargetFailure,
} from './errors.js';
import type { FailoverEvents } from './events.js';
import { type FailureKind, isAvailabilityKind } from './failure-kind.js';
import type { HedgeOptions, RetryOptions } from './options.js';
import { retryAfterMs } from './retry-after.js';
import type { TargetHealth } from './target-health.js';
import type { TimeoutEntry, Timeouts } from './timeout-queue.js';

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

/** What a call needs from its router. */
export interface CallCore {
  readonly retry: Required<RetryOptions>;
  readonly budget: RetryBudget | undefined;
  readonly events: TypedEmitter<FailoverEvents>;
  /** The router's shared time limits (deadlines and attempt timeouts). */
  readonly timeouts: Timeouts;
}

/** How one call runs, fixed when it starts. */
export interface CallPlan<T> {
  readonly order: readonly TargetHealth<T>[];
  readonly idempotent: boolean;
  /** False: one attempt only, its failure rethrown (see `RunOptions.replayable`). */
  readonly replayable: boolean;
  readonly signal: AbortSignal | undefined;
  readonly deadlineMs: number | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly hedge: Required<HedgeOptions> | undefined;
  readonly detailed: boolean;
}

/** A failure a lane still has to act on. */
interface Pending {
  readonly err: unknown;
  readonly kind: FailureKind;
}

/** The target a lane left, for the 'failover' event. */
interface Left<T> {
  readonly from: TargetHealth<T>;
  readonly kind: FailureKind;
  readonly err: unknown;
}

interface Sleep {
  timer: NodeJS.Timeout | undefined;
  readonly resolve: () => void;
}

const STOP = -2;
const NEXT = -1;

/**
 * One call that needs more than a single plain attempt: failover, retries, a deadline, an attempt
 * timeout or hedging. A lane walks the targets in order (retrying each up to `maxAttempts`); a
 * hedge starts another lane on the next unused target. The first success wins, an answer (a
 * non-availability failure) ends the call, and when every lane has run out of targets the call
 * fails with an `AllTargetsFailedError`.
 */
export class Call<T, R> {
  /** Settles with the call's outcome. */
  readonly promise: Promise<unknown>;
  readonly #core: CallCore;
  readonly #fn: Operation<T, R>;
  readonly #plan: CallPlan<T>;
  readonly #order: readonly TargetHealth<T>[];
  /** Attempts go through an Attempt (own AbortController) rather than straight to the operation. */
  readonly #controlled: boolean;
  #deadlineAt: number | undefined;
  readonly #attempts: number[];
  readonly #failures: (TargetFailure | undefined)[];
  /** Attempts running now (controlled calls only; rarely more than one). */
  readonly #inflight: Attempt[] = [];
  /** Backoff waits running now, created on the first one. */
  #sleeps: Set<Sleep> | undefined;
  #next = 0;
  #lanes = 0;
  #hedges = 0;
  #totalAttempts = 0;
  #settled = false;
  #lastKind: FailureKind | undefined;
  #lastError: unknown;
  #lastStarted: TargetHealth<T> | undefined;
  #deadline: TimeoutEntry | undefined;
  #hedgeTimer: NodeJS.Timeout | undefined;
  #listening = false;
  #resolve!: (value: unknown) => void;
  #reject!: (err: unknown) => void;

  constructor(core: CallCore, fn: Operation<T, R>, plan: CallPlan<T>) {
    this.#core = core;
    this.#fn = fn;
    this.#plan = plan;
    this.#order = plan.order;
    this.#controlled =
      plan.deadlineMs !== undefined || plan.attemptTimeoutMs !== undefined || plan.hedge !== undefined;
    this.#attempts = plan.order.map(() => 0);
    this.#failures = plan.order.map(() => undefined);
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Starts the call from the first target. */
  start(): Promise<unknown> {
    if (this.#setUp()) {
      const deadlineMs = this.#plan.deadlineMs;
      if (deadlineMs !== undefined) {
        const deadline = this.#core.timeouts.add(deadlineMs, Call.#deadlinePassed, this);
        this.#deadline = deadline;
        this.#deadlineAt = deadline.expiresAt;
      }
      void this.#lane(undefined, undefined);
    }
    return this.promise;
  }

  /**
   * Continues a call whose first attempt, on `first` (the first target), failed with `err`: a
   * plain attempt, or a lead attempt that carried the call's deadline (`deadlineAt`, a
   * `Date.now()` time).
   */
  resume(first: TargetHealth<T>, err: unknown, kind: FailureKind, deadlineAt?: number): Promise<unknown> {
    this.#next = 1;
    this.#attempts[0] = 1;
    this.#totalAttempts = 1;
    this.#lastStarted = first;
    if (!this.#setUp()) return this.promise;
    if (deadlineAt !== undefined) {
      this.#deadlineAt = deadlineAt;
      const left = deadlineAt - Date.now();
      if (left <= 0) {
        // Past the deadline already (its timer is merely late): the failure is the last one seen.
        this.#lastError = err;
        this.#onDeadline();
        return this.promise;
      }
      this.#deadline = this.#core.timeouts.add(left, Call.#deadlinePassed, this);
    }
    void this.#lane(undefined, { err, kind });
    return this.promise;
  }

  /** Listens to the caller's signal; false when it is already aborted (the call is then settled). */
  #setUp(): boolean {
    const signal = this.#plan.signal;
    if (signal === undefined) return true;
    if (signal.aborted) {
      this.#onCallerAbort();
      return false;
    }
    // The call itself is the listener (handleEvent): no closure per call.
    signal.addEventListener('abort', this, { once: true });
    this.#listening = true;
    return true;
  }

  /**
   * Walks targets until the call settles or none is left. `hedgeFrom` marks a hedge lane (its
   * first target is announced as a 'hedge'); `pending` is a failure the lane starts from.
   */
  async #lane(hedgeFrom: TargetHealth<T> | undefined, pending: Pending | undefined): Promise<void> {
    this.#lanes++;
    try {
      let pos = pending === undefined ? NEXT : 0;
      let attempt = pending === undefined ? 0 : 1;
      let left: Left<T> | undefined;
      let previousDelay: number | undefined;
      for (;;) {
        if (this.#settled) return;
        if (pos === NEXT) {
          pos = this.#claim(left, hedgeFrom);
          hedgeFrom = undefined;
          if (pos === NEXT) return;
          attempt = 0;
          previousDelay = undefined;
        }
        const s = this.#order[pos]!;
        if (pending === undefined) {
          attempt++;
          this.#attempts[pos]!++;
          this.#totalAttempts++;
          const a = this.#controlled ? new Attempt(attempt, s.name) : undefined;
          const context: AttemptContext = a === undefined ? { signal: this.#plan.signal, attempt } : a;
          let value: unknown;
          try {
            value = await this.#fire(s, context, a);
          } catch (err) {
            if (a !== undefined) this.#endAttempt(a);
            if (this.#settled) return;
            pending = { err, kind: a?.kind ?? a?.abortKind ?? s.kindOf(err, context) };
          }
          if (pending === undefined) {
            if (a !== undefined) this.#endAttempt(a);
            this.#win(value, s);
            return;
          }
        }
        const { err, kind } = pending;
        pending = undefined;
        const decision = this.#afterFailure(pos, attempt, err, kind, previousDelay);
        if (decision === STOP) return;
        if (decision === NEXT) {
          left = { from: s, kind, err };
          pos = NEXT;
          continue;
        }
        previousDelay = decision;
        if (decision > 0) await this.#sleep(decision);
        if (!this.#settled && !s.admits()) {
          // The breaker opened while we waited: do not knock on an open target.
          left = { from: s, kind, err };
          pos = NEXT;
        }
      }
    } catch (bug) {
      this.#fail(bug);
    } finally {
      this.#lanes--;
      if (this.#lanes === 0 && !this.#settled) this.#exhausted();
    }
  }

  /** Takes the next target whose breaker admits a call, recording the skipped ones; NEXT if none. */
  #claim(left: Left<T> | undefined, hedgeFrom: TargetHealth<T> | undefined): number {
    const events = this.#core.events;
    while (this.#next < this.#order.length) {
      const pos = this.#next++;
      const t = this.#order[pos]!;
      if (t.admits()) {
        if (hedgeFrom !== undefined) {
          t.hedges++;
          if (events.has('hedge')) {
            events.emit('hedge', { from: hedgeFrom.name, to: t.name, afterMs: this.#plan.hedge!.afterMs });
          }
        } else if (left !== undefined && events.has('failover')) {
          events.emit('failover', { from: left.from.name, to: t.name, kind: left.kind, error: left.err });
        }
        return pos;
      }
      t.rejections++;
      const err = new BreakerOpenError(t.name);
      this.#failures[pos] = { target: t.name, kind: 'unavailable', cause: err, attempts: 0 };
      this.#lastKind = 'unavailable';
      this.#lastError = err;
      if (events.has('rejected')) events.emit('rejected', { target: t.name });
      if (hedgeFrom === undefined) left = { from: t, kind: 'unavailable', err };
    }
    return NEXT;
  }

  #fire(s: TargetHealth<T>, context: AttemptContext, a: Attempt | undefined): Promise<unknown> {
    this.#lastStarted = s;
    // A fresh context (never the target's shared fast-path ones), so the breaker's fallback hands
    // the failure back here instead of starting a new call.
    if (a === undefined) return s.breaker.fire(this.#fn, s.target, context, undefined);
    this.#inflight.push(a);
    const timeoutMs = this.#plan.attemptTimeoutMs;
    if (timeoutMs !== undefined) a.limit(this.#core.timeouts, timeoutMs);
    this.#armHedge();
    return s.breaker.fire(this.#fn, s.target, context, a);
  }

  /** Forgets a settled attempt and releases its time limit (if the breaker never ran it). */
  #endAttempt(a: Attempt): void {
    a.release();
    const i = this.#inflight.indexOf(a);
    if (i >= 0) this.#inflight.splice(i, 1);
  }

  /** Decides what follows a failed attempt: STOP (call settled), NEXT target, or a retry delay. */
  #afterFailure(
    pos: number,
    attempt: number,
    err: unknown,
    kind: FailureKind,
    previousDelay: number | undefined,
  ): number {
    const s = this.#order[pos]!;
    this.#failures[pos] = { target: s.name, kind, cause: err, attempts: this.#attempts[pos]! };
    this.#lastKind = kind;
    this.#lastError = err;
    if (kind === 'aborted') {
      const signal = this.#plan.signal;
      this.#fail(signal?.aborted ? new AbortedError({ cause: signal.reason }) : err);
      return STOP;
    }
    // An answer (404, 400, ...) goes back unchanged; so does any failure of a call that cannot run
    // twice, and a failure of a call that may have reached the server when replaying it is not safe.
    const plan = this.#plan;
    if (!isAvailabilityKind(kind) || !plan.replayable || (!plan.idempotent && !failedBeforeSending(err))) {
      this.#fail(err);
      return STOP;
    }
    const retry = this.#core.retry;
    if (attempt >= retry.maxAttempts || !s.admits()) return NEXT;
    const hint = retryAfterMs(err);
    if (hint !== undefined && hint > retry.maxDelayMs) return NEXT;
    let delay = backoffDelay(attempt, previousDelay, retry);
    if (hint !== undefined && hint > delay) delay = Math.ceil(hint);
    if (this.#deadlineAt !== undefined && Date.now() + delay >= this.#deadlineAt) return NEXT;
    const budget = this.#core.budget;
    const events = this.#core.events;
    if (budget !== undefined) {
      const cost = kind === 'timeout' ? budget.timeoutCost : budget.retryCost;
      if (!budget.tryAcquire(cost)) {
        if (events.has('budgetExhausted')) {
          events.emit('budgetExhausted', { target: s.name, tokens: budget.tokens, cost });
        }
        return NEXT;
      }
    }
    s.retries++;
    if (events.has('retry')) {
      events.emit('retry', { target: s.name, attempt: attempt + 1, delayMs: delay, kind, error: err });
    }
    return delay;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleep: Sleep = { timer: undefined, resolve };
      const sleeps = this.#sleeps ?? new Set<Sleep>();
      this.#sleeps = sleeps;
      sleep.timer = setTimeout(() => {
        sleeps.delete(sleep);
        resolve();
      }, ms);
      sleeps.add(sleep);
    });
  }

  #armHedge(): void {
    const hedge = this.#plan.hedge;
    if (hedge === undefined || this.#hedges >= hedge.maxHedges || this.#settled) return;
    if (this.#hedgeTimer !== undefined) clearTimeout(this.#hedgeTimer);
    this.#hedgeTimer = setTimeout(Call.#hedgeDue, hedge.afterMs, this);
  }

  static #hedgeDue<T, R>(call: Call<T, R>): void {
    call.#onHedge();
  }

  #onHedge(): void {
    this.#hedgeTimer = undefined;
    if (this.#settled) return;
    let to: TargetHealth<T> | undefined;
    for (let i = this.#next; i < this.#order.length && to === undefined; i++) {
      if (this.#order[i]!.admits()) to = this.#order[i];
    }
    if (to === undefined) return;
    const budget = this.#core.budget;
    if (budget !== undefined) {
      if (!budget.tryAcquire(budget.retryCost)) {
        const events = this.#core.events;
        if (events.has('budgetExhausted')) {
          events.emit('budgetExhausted', { target: to.name, tokens: budget.tokens, cost: budget.retryCost });
        }
        return;
      }
    }
    this.#hedges++;
    void this.#lane(this.#lastStarted ?? this.#order[0], undefined);
  }

  #win(value: unknown, s: TargetHealth<T>): void {
    if (this.#settled) return;
    this.#settle();
    if (this.#inflight.length > 0) this.#abortInflight('aborted', new AbortedError());
    this.#resolve(
      this.#plan.detailed
        ? { value, target: s.target, attempts: this.#totalAttempts, failures: this.#failureList() }
        : value,
    );
  }

  /** Ends the call with `err`, cancelling whatever still runs. */
  #fail(err: unknown): void {
    if (this.#settled) return;
    this.#settle();
    if (this.#inflight.length > 0) this.#abortInflight('aborted', new AbortedError({ cause: err }));
    this.#reject(err);
  }

  #exhausted(): void {
    this.#fail(
      new AllTargetsFailedError(this.#failureList(), { kind: this.#lastKind, cause: this.#lastError }),
    );
  }

  /** The caller's signal aborted (this object is its listener). */
  handleEvent(): void {
    this.#onCallerAbort();
  }

  #onCallerAbort(): void {
    if (this.#settled) return;
    const reason: unknown = this.#plan.signal?.reason;
    this.#settle();
    this.#abortInflight('aborted', reason);
    this.#reject(new AbortedError({ cause: reason }));
  }

  static #deadlinePassed<T, R>(call: Call<T, R>): void {
    call.#onDeadline();
  }

  #onDeadline(): void {
    this.#deadline = undefined;
    if (this.#settled) return;
    const err = new DeadlineExceededError(this.#plan.deadlineMs!, 'deadline', {
      cause: this.#lastError,
      target: this.#lastStarted?.name,
    });
    this.#settle();
    // The attempts cut by the deadline did not answer in time: they count as timeouts.
    this.#abortInflight('timeout', err);
    this.#reject(err);
  }

  /** Marks the call settled and releases its timers and listener (not the in-flight attempts). */
  #settle(): void {
    this.#settled = true;
    if (this.#deadline !== undefined) {
      this.#deadline.cancel();
      this.#deadline = undefined;
    }
    if (this.#hedgeTimer !== undefined) clearTimeout(this.#hedgeTimer);
    this.#hedgeTimer = undefined;
    if (this.#listening) {
      this.#plan.signal!.removeEventListener('abort', this);
      this.#listening = false;
    }
    const sleeps = this.#sleeps;
    if (sleeps !== undefined) {
      for (const sleep of sleeps) {
        clearTimeout(sleep.timer);
        sleep.resolve();
      }
      sleeps.clear();
    }
  }

  #abortInflight(kind: FailureKind, error: unknown): void {
    const inflight = this.#inflight.splice(0);
    for (const a of inflight) a.abort(kind, error);
  }

  #failureList(): TargetFailure[] {
    return this.#failures.filter((f): f is TargetFailure => f !== undefined);
  }
}
