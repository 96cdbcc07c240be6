import { type AfterFailure, decideAfterFailure } from './after-failure.js';
import { Attempt, type AttemptContext, type Operation } from './attempt.js';
import { backoffDelay } from './backoff.js';
import { CallObserved, withObservation } from './call-observation.js';
import { failedBeforeSending } from './classify.js';
import {
  AbortedError,
  AllTargetsFailedError,
  BulkheadFullError,
  DeadlineExceededError,
  type TargetFailure,
} from './errors.js';
import type { FailureKind } from './failure-kind.js';
import { autoHedgeDelay } from './hedge-delay.js';
import type { CallOutcome } from './observer.js';
import type { AnyOperation, CallCore, CallPlan } from './plan.js';
import { retryAfterMs } from './retry-after.js';
import { Sleeps } from './sleeps.js';
import type { TargetHealth } from './target-health.js';
import type { TimeoutEntry } from './timeout-queue.js';

/** A failure a lane still has to act on. */
interface Pending {
  readonly err: unknown;
  readonly kind: FailureKind;
}

/** How one attempt ended. */
type Outcome = { readonly ok: true; readonly value: unknown } | ({ readonly ok: false } & Pending);

/** The target a lane left, for the 'failover' event. */
interface Left<T> {
  readonly from: TargetHealth<T>;
  readonly kind: FailureKind;
  readonly err: unknown;
}

const STOP = -2;
const NEXT = -1;

/**
 * One call: failover, retries, a deadline, attempt timeouts, hedging, panic routing. A lane walks
 * the targets in order; a hedge starts another lane on the next unused target. The first success
 * wins, an answer (a non-availability failure) ends the call, and when every lane has run out of
 * targets the call fails with an `AllTargetsFailedError`. What follows a failed attempt is decided
 * by {@link decideAfterFailure} (after-failure.ts).
 *
 * The router makes a `Call` only when it cannot take its fast path (see lead.ts), or to continue a
 * fast-path call whose first attempt failed ({@link Call.resume}).
 */
export class Call<T, R> {
  /** Settles with the call's outcome. */
  readonly promise: Promise<unknown>;
  readonly #core: CallCore;
  readonly #fn: Operation<T, R>;
  readonly #plan: CallPlan<TargetHealth<T>>;
  readonly #order: readonly TargetHealth<T>[];
  /** Attempts go through an Attempt (own AbortController) rather than straight to the operation. */
  readonly #controlled: boolean;
  readonly #observed: CallObserved | undefined;
  #deadlineAt: number | undefined;
  readonly #attempts: number[];
  readonly #failures: (TargetFailure | undefined)[];
  /** Attempts running now (controlled calls only; rarely more than one). */
  readonly #inflight: Attempt[] = [];
  /** Backoff waits running now, created on the first one. */
  #sleeps: Sleeps | undefined;
  #next = 0;
  #lanes = 0;
  #hedges = 0;
  #totalAttempts = 0;
  #failovers = 0;
  #panicked = false;
  #settled = false;
  #lastKind: FailureKind | undefined;
  #lastError: unknown;
  #lastStarted: TargetHealth<T> | undefined;
  /** Position of the call's first attempt's target (for hedge races), -1 before it. */
  #primary = -1;
  #deadline: TimeoutEntry | undefined;
  /** The pending hedge, an entry in the router's shared time limits (no timer of its own). */
  #hedgeEntry: TimeoutEntry | undefined;
  #listening = false;
  #resolve!: (value: unknown) => void;
  #reject!: (err: unknown) => void;

  constructor(core: CallCore, fn: Operation<T, R>, plan: CallPlan<TargetHealth<T>>) {
    this.#core = core;
    this.#fn = fn;
    this.#plan = plan;
    this.#order = plan.order;
    this.#observed =
      plan.observation === undefined ? undefined : new CallObserved(plan.observation, core.observer);
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
   * Continues a call whose first attempt, a lead attempt on the target at `pos` (the targets
   * before it were skipped, their breakers open), failed with `err`. The lead attempt carried the
   * call's deadline (`deadlineAt`, a `Date.now()` time) if any.
   */
  resume(pos: number, err: unknown, kind: FailureKind, deadlineAt?: number): Promise<unknown> {
    this.#next = pos + 1;
    this.#attempts[pos] = 1;
    this.#totalAttempts = 1;
    this.#primary = pos;
    this.#lastStarted = this.#order[pos];
    for (let i = 0; i < pos; i++) {
      const t = this.#order[i]!;
      this.#failures[i] = { target: t.name, kind: 'unavailable', cause: t.openError, attempts: 0 };
    }
    if (pos > 0) this.#failovers = 1;
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
    void this.#lane(undefined, { err, kind }, pos);
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
  async #lane(
    hedgeFrom: TargetHealth<T> | undefined,
    pending: Pending | undefined,
    from = NEXT,
  ): Promise<void> {
    this.#lanes++;
    try {
      let pos = from;
      let attempt = pending === undefined ? 0 : 1;
      let left: Left<T> | undefined;
      let previousDelay: number | undefined;
      let hedging = hedgeFrom !== undefined;
      for (;;) {
        if (this.#settled) return;
        if (pos === NEXT) {
          pos = this.#claim(left, hedgeFrom);
          hedgeFrom = undefined;
          if (pos === NEXT) {
            pos = await this.#joinProbe();
            if (pos === NEXT) return;
          }
          attempt = 0;
          previousDelay = undefined;
        }
        const s = this.#order[pos]!;
        if (pending === undefined) {
          const bulkhead = s.bulkhead;
          if (bulkhead !== undefined) {
            const full = await this.#slot(s, pos);
            if (this.#settled) return;
            if (full !== undefined) {
              left = full;
              pos = NEXT;
              continue;
            }
          }
          attempt++;
          const outcome = await this.#attempt(s, pos, attempt, hedging);
          bulkhead?.release();
          hedging = false;
          if (outcome.ok) {
            this.#win(outcome.value, pos);
            return;
          }
          if (this.#settled) return;
          pending = outcome;
        }
        const { err, kind } = pending;
        pending = undefined;
        const delay = this.#afterFailure(pos, attempt, err, kind, previousDelay);
        if (delay === STOP) return;
        if (delay === NEXT) {
          left = { from: s, kind, err };
          pos = NEXT;
          continue;
        }
        previousDelay = delay;
        if (delay > 0) {
          this.#sleeps ??= new Sleeps();
          await this.#sleeps.wait(delay);
        }
        if (!this.#settled && !s.admits()) {
          // The breaker opened while we waited: do not knock on an open target.
          left = { from: s, kind, err };
          pos = NEXT;
        }
      }
    } catch (bug) {
      this.#fail(bug, 'unknown');
    } finally {
      this.#lanes--;
      if (this.#lanes === 0 && !this.#settled) this.#exhausted();
    }
  }

  /**
   * Takes a bulkhead slot on `s`; undefined when it did, else why the call leaves `s`: it is full
   * and another target can take the call (or its queue is full too), or its breaker opened while
   * the call queued for a slot.
   */
  async #slot(s: TargetHealth<T>, pos: number): Promise<Left<T> | undefined> {
    const bulkhead = s.bulkhead!;
    if (bulkhead.tryTake()) return undefined;
    if (!bulkhead.canQueue || this.#hasNext()) {
      const err = new BulkheadFullError(s.name, bulkhead.maxConcurrent, bulkhead.maxQueue);
      this.#failures[pos] = { target: s.name, kind: 'throttled', cause: err, attempts: this.#attempts[pos]! };
      this.#lastKind = 'throttled';
      this.#lastError = err;
      return { from: s, kind: 'throttled', err };
    }
    await bulkhead.take();
    if (!this.#settled && s.admits()) return undefined;
    bulkhead.release();
    return { from: s, kind: 'unavailable', err: s.openError };
  }

  /** Runs one attempt on `s`: its value, or its failure and the failure's kind. */
  async #attempt(s: TargetHealth<T>, pos: number, attempt: number, hedging: boolean): Promise<Outcome> {
    this.#attempts[pos]!++;
    this.#totalAttempts++;
    if (this.#primary < 0) this.#primary = pos;
    this.#lastStarted = s;
    const a = this.#controlled ? new Attempt(attempt, s.name) : undefined;
    const context: AttemptContext = a ?? { signal: this.#plan.signal, attempt };
    const observed = this.#observed?.attemptStarted(s.name, attempt, hedging);
    const fn = observed?.run === undefined ? (this.#fn as AnyOperation) : withObservation(this.#fn, observed);
    if (a !== undefined) this.#arm(s, a);
    let value: unknown;
    try {
      value = await s.fire(fn, context, a);
    } catch (err) {
      if (a !== undefined) this.#endAttempt(a);
      const kind = a?.kind ?? a?.abortKind ?? s.kindOf(err, context);
      this.#observed?.attemptEnded(observed, kind);
      return { ok: false, err, kind };
    }
    if (a !== undefined) this.#endAttempt(a);
    this.#observed?.attemptEnded(observed, undefined);
    return { ok: true, value };
  }

  /** Gives a controlled attempt its time limit and arms the hedge. */
  #arm(s: TargetHealth<T>, a: Attempt): void {
    this.#inflight.push(a);
    const timeoutMs = this.#plan.attemptTimeoutMs;
    if (timeoutMs !== undefined) a.limit(this.#core, timeoutMs);
    else a.startedAt = Date.now();
    if (this.#plan.idempotent && this.#plan.replayable) a.rerunOnStall = this.#core.rerunOnStall;
    this.#armHedge(s);
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
            events.emit('hedge', { from: hedgeFrom.name, to: t.name, afterMs: this.#hedgeDelay(hedgeFrom) });
          }
        } else if (left !== undefined) {
          this.#failovers++;
          if (events.has('failover')) {
            events.emit('failover', { from: left.from.name, to: t.name, kind: left.kind, error: left.err });
          }
        }
        return pos;
      }
      // A skip costs no error of its own: the target keeps one per opening.
      t.skipped();
      const err = t.openError;
      this.#failures[pos] = { target: t.name, kind: 'unavailable', cause: err, attempts: 0 };
      this.#lastKind = 'unavailable';
      this.#lastError = err;
      if (hedgeFrom === undefined) left = { from: t, kind: 'unavailable', err };
    }
    return NEXT;
  }

  /**
   * Panic routing: a call that found every target skipped by its breaker (no attempt made yet)
   * while one of them is half-open with its probe in flight joins that probe instead of failing at
   * once: it waits for the probe's outcome and goes to that target if the probe closed the
   * breaker. Once per call, never for a hedge; no extra load on a target that may be down.
   */
  async #joinProbe(): Promise<number> {
    if (this.#panicked || this.#totalAttempts > 0 || this.#lanes > 1) return NEXT;
    this.#panicked = true;
    let pos = NEXT;
    for (let i = 0; i < this.#order.length && pos === NEXT; i++) {
      if (this.#order[i]!.probing) pos = i;
    }
    if (pos === NEXT) return NEXT;
    const t = this.#order[pos]!;
    t.joins++;
    const events = this.#core.events;
    if (events.has('panic')) events.emit('panic', { target: t.name });
    await t.probeSettled();
    return !this.#settled && t.admits() ? pos : NEXT;
  }

  /** Forgets a settled attempt and releases its time limit (if the breaker never ran it). */
  #endAttempt(a: Attempt): void {
    a.release();
    const i = this.#inflight.indexOf(a);
    if (i >= 0) this.#inflight.splice(i, 1);
  }

  /**
   * Records a failed attempt and applies {@link decideAfterFailure}: STOP (the call settled), NEXT
   * target, or a retry delay (the budget paid, the retry announced).
   */
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
    const plan = this.#plan;
    const retry = this.#core.retry;
    const deadlineAt = this.#deadlineAt;
    const decision: AfterFailure = decideAfterFailure({
      kind,
      replayable: plan.replayable,
      idempotent: plan.idempotent,
      neverSent: failedBeforeSending(err),
      hasNext: this.#hasNext(),
      attempt,
      maxAttempts: plan.maxAttempts ?? retry.maxAttempts,
      admits: s.admits(),
      retryAfterMs: retryAfterMs(err),
      maxDelayMs: retry.maxDelayMs,
      backoffMs: backoffDelay(attempt, previousDelay, retry),
      deadlineLeftMs: deadlineAt === undefined ? undefined : deadlineAt - Date.now(),
    });
    switch (decision.action) {
      case 'aborted': {
        const signal = plan.signal;
        this.#fail(signal?.aborted ? new AbortedError({ cause: signal.reason }) : err, 'aborted');
        return STOP;
      }
      case 'fail':
        this.#fail(err, kind);
        return STOP;
      case 'next':
        return NEXT;
    }
    const events = this.#core.events;
    const budget = this.#core.budget;
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
    const delayMs = decision.delayMs;
    if (events.has('retry')) {
      events.emit('retry', { target: s.name, attempt: attempt + 1, delayMs, kind, error: err });
    }
    return delayMs;
  }

  /** True when a target after the claimed ones admits the call now. */
  #hasNext(): boolean {
    for (let i = this.#next; i < this.#order.length; i++) {
      if (this.#order[i]!.admits()) return true;
    }
    return false;
  }

  /** How long to wait for `s` before hedging: the plan's `afterMs`, or see {@link autoHedgeDelay}. */
  #hedgeDelay(s: TargetHealth<T>): number {
    const afterMs = this.#plan.hedge!.afterMs;
    if (afterMs !== 'auto') return afterMs;
    const others = [];
    for (let i = this.#next; i < this.#order.length; i++) {
      const o = this.#order[i]!;
      if (o.admits()) others.push(o.latency);
    }
    return autoHedgeDelay(s.latency, others, this.#core.explore);
  }

  #armHedge(s: TargetHealth<T>): void {
    const hedge = this.#plan.hedge;
    if (hedge === undefined || this.#hedges >= hedge.maxHedges || this.#settled) return;
    this.#hedgeEntry?.cancel();
    this.#hedgeEntry = undefined;
    if (!this.#hasNext()) return;
    this.#hedgeEntry = this.#core.timeouts.add(this.#hedgeDelay(s), Call.#hedgeDue, this);
  }

  static #hedgeDue<T, R>(call: Call<T, R>): void {
    call.#onHedge();
  }

  #onHedge(): void {
    this.#hedgeEntry = undefined;
    if (this.#settled || !this.#hasNext()) return;
    const budget = this.#core.budget;
    if (budget !== undefined && !budget.tryAcquire(budget.retryCost)) {
      const events = this.#core.events;
      if (events.has('budgetExhausted')) {
        let to: TargetHealth<T> | undefined;
        for (let i = this.#next; i < this.#order.length && to === undefined; i++) {
          if (this.#order[i]!.admits()) to = this.#order[i];
        }
        events.emit('budgetExhausted', { target: to!.name, tokens: budget.tokens, cost: budget.retryCost });
      }
      return;
    }
    this.#hedges++;
    void this.#lane(this.#lastStarted ?? this.#order[0], undefined);
  }

  #win(value: unknown, pos: number): void {
    if (this.#settled) return;
    const s = this.#order[pos]!;
    this.#settle();
    const primary = this.#primary;
    if (this.#hedges === 0) {
      // Not a race.
    } else if (primary === pos) s.wonRace();
    else if (primary >= 0 && this.#failures[primary] === undefined) {
      // A hedge answered while the first target still ran: it lost the race.
      const until = this.#order[primary]!.lostRace();
      if (until > 0) this.#core.demoted(until);
    }
    if (this.#inflight.length > 0) this.#abortInflight('aborted', new AbortedError());
    this.#observed?.callEnded(
      { ok: true, target: s.name, attempts: this.#totalAttempts, failoverCount: this.#failovers },
      'aborted',
    );
    this.#resolve(
      this.#plan.detailed
        ? { value, target: s.target, attempts: this.#totalAttempts, failures: this.#failureList() }
        : value,
    );
  }

  /** Ends the call with `err` (of `kind`), cancelling whatever still runs. */
  #fail(err: unknown, kind: FailureKind): void {
    if (this.#settled) return;
    this.#settle();
    if (this.#inflight.length > 0) this.#abortInflight('aborted', new AbortedError({ cause: err }));
    this.#observeEnd(kind);
    this.#reject(err);
  }

  /** Ends the call's observation as failed with `kind`; attempts still running end as `cut`. */
  #observeEnd(kind: FailureKind, cut: FailureKind = 'aborted'): void {
    const outcome: CallOutcome = {
      ok: false,
      kind,
      target: this.#lastStarted?.name,
      attempts: this.#totalAttempts,
      failoverCount: this.#failovers,
    };
    this.#observed?.callEnded(outcome, cut);
  }

  #exhausted(): void {
    const kind = this.#lastKind ?? 'unavailable';
    this.#fail(new AllTargetsFailedError(this.#failureList(), { kind, cause: this.#lastError }), kind);
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
    this.#observeEnd('aborted');
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
    this.#observeEnd('timeout', 'timeout');
    this.#reject(err);
  }

  /** Marks the call settled and releases its timers and listener (not the in-flight attempts). */
  #settle(): void {
    this.#settled = true;
    if (this.#deadline !== undefined) {
      this.#deadline.cancel();
      this.#deadline = undefined;
    }
    this.#hedgeEntry?.cancel();
    this.#hedgeEntry = undefined;
    if (this.#listening) {
      this.#plan.signal!.removeEventListener('abort', this);
      this.#listening = false;
    }
    this.#sleeps?.wakeAll();
  }

  #abortInflight(kind: FailureKind, error: unknown): void {
    const inflight = this.#inflight.splice(0);
    for (const a of inflight) a.abort(kind, error);
  }

  #failureList(): TargetFailure[] {
    return this.#failures.filter((f): f is TargetFailure => f !== undefined);
  }
}
