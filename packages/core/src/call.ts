import { Attempt, type AttemptContext, type Operation } from './attempt.js';
import { backoffDelay } from './backoff.js';
import { failedBeforeSending } from './classify.js';
import { AbortedError, AllTargetsFailedError, DeadlineExceededError, type TargetFailure } from './errors.js';
import { type FailureKind, isAvailabilityKind } from './failure-kind.js';
import type { AttemptObservation, CallObservation } from './observer.js';
import { safely } from './observer.js';
import { HEDGE_AUTO } from './options.js';
import type { AnyOperation, CallCore, CallPlan } from './plan.js';
import { retryAfterMs } from './retry-after.js';
import type { TargetHealth } from './target-health.js';
import type { TimeoutEntry } from './timeout-queue.js';

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
 * One call: failover, retries, a deadline, attempt timeouts, hedging, panic routing. A lane walks
 * the targets in order; a hedge starts another lane on the next unused target. The first success
 * wins, an answer (a non-availability failure) ends the call, and when every lane has run out of
 * targets the call fails with an `AllTargetsFailedError`.
 *
 * After an availability failure a lane moves to the next target that admits the call at once (no
 * backoff, no second attempt on a target that just failed); it retries the same target, with
 * backoff and the budget's consent, only when no other target can take the call.
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
  readonly #obs: CallObservation | undefined;
  #deadlineAt: number | undefined;
  readonly #attempts: number[];
  readonly #failures: (TargetFailure | undefined)[];
  /** Attempts running now (controlled calls only; rarely more than one). */
  readonly #inflight: Attempt[] = [];
  /** Attempt observations not ended yet (observed calls only). */
  #observed: Set<AttemptObservation> | undefined;
  /** Backoff waits running now, created on the first one. */
  #sleeps: Set<Sleep> | undefined;
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
  #deadline: TimeoutEntry | undefined;
  #hedgeTimer: NodeJS.Timeout | undefined;
  #listening = false;
  #resolve!: (value: unknown) => void;
  #reject!: (err: unknown) => void;

  constructor(core: CallCore, fn: Operation<T, R>, plan: CallPlan<TargetHealth<T>>) {
    this.#core = core;
    this.#fn = fn;
    this.#plan = plan;
    this.#order = plan.order;
    this.#obs = plan.observation;
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
   * lead attempt, which carried the call's deadline (`deadlineAt`, a `Date.now()` time) if any.
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
          attempt++;
          this.#attempts[pos]!++;
          this.#totalAttempts++;
          const a = this.#controlled ? new Attempt(attempt, s.name) : undefined;
          const context: AttemptContext = a === undefined ? { signal: this.#plan.signal, attempt } : a;
          const observed = this.#observeAttempt(s, attempt, hedging);
          hedging = false;
          let value: unknown;
          try {
            value = await this.#fire(s, context, a, observed);
          } catch (err) {
            if (a !== undefined) this.#endAttempt(a);
            const kind = a?.kind ?? a?.abortKind ?? s.kindOf(err, context);
            this.#endObserved(observed, kind);
            if (this.#settled) return;
            pending = { err, kind };
          }
          if (pending === undefined) {
            if (a !== undefined) this.#endAttempt(a);
            this.#endObserved(observed, undefined);
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
      this.#fail(bug, 'unknown');
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
      t.rejections++;
      const err = t.openError;
      this.#failures[pos] = { target: t.name, kind: 'unavailable', cause: err, attempts: 0 };
      this.#lastKind = 'unavailable';
      this.#lastError = err;
      if (events.has('rejected')) events.emit('rejected', { target: t.name });
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

  #fire(
    s: TargetHealth<T>,
    context: AttemptContext,
    a: Attempt | undefined,
    observed: AttemptObservation | undefined,
  ): Promise<unknown> {
    this.#lastStarted = s;
    const fn = observed?.run === undefined ? (this.#fn as AnyOperation) : withObservation(this.#fn, observed);
    if (a !== undefined) {
      this.#inflight.push(a);
      const timeoutMs = this.#plan.attemptTimeoutMs;
      if (timeoutMs !== undefined) a.limit(this.#core.timeouts, timeoutMs, this.#core.stalls);
      if (this.#plan.idempotent && this.#plan.replayable) a.rerunOnStall = this.#core.rerunOnStall;
      this.#armHedge(s);
    }
    // A fresh context, so the breaker's fallback hands the failure back here.
    return s.fire(fn, context, a);
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
      this.#fail(signal?.aborted ? new AbortedError({ cause: signal.reason }) : err, 'aborted');
      return STOP;
    }
    // An answer (404, 400, ...) goes back unchanged; so does any failure of a call that cannot run
    // twice, and a failure of a call that may have reached the server when replaying it is not safe.
    const plan = this.#plan;
    if (!isAvailabilityKind(kind) || !plan.replayable || (!plan.idempotent && !failedBeforeSending(err))) {
      this.#fail(err, kind);
      return STOP;
    }
    // Another target can take the call: go there now. Unreachable, throttled, failing: whatever
    // the reason, a second attempt here would only double the load on a sick target.
    if (this.#hasNext()) return NEXT;
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

  /** True when a target after the claimed ones admits the call now. */
  #hasNext(): boolean {
    for (let i = this.#next; i < this.#order.length; i++) {
      if (this.#order[i]!.admits()) return true;
    }
    return false;
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

  /**
   * How long to wait for `s` before hedging: the plan's `afterMs`, or for `'auto'` the target's
   * observed tail latency (p95), sooner when another target the call could use answers much
   * faster (three times its median) or has too few samples to tell, within {@link HEDGE_AUTO}.
   */
  #hedgeDelay(s: TargetHealth<T>): number {
    const afterMs = this.#plan.hedge!.afterMs;
    if (afterMs !== 'auto') return afterMs;
    let delay = s.latency.samples >= HEDGE_AUTO.minSamples ? s.latency.p95 : HEDGE_AUTO.maxMs;
    for (let i = this.#next; i < this.#order.length; i++) {
      const o = this.#order[i]!;
      if (!o.admits()) continue;
      const other = o.latency.samples >= HEDGE_AUTO.minSamples ? 3 * o.latency.p50 : 0;
      if (other < delay) delay = other;
    }
    return Math.min(HEDGE_AUTO.maxMs, Math.max(HEDGE_AUTO.minMs, Math.ceil(delay)));
  }

  #armHedge(s: TargetHealth<T>): void {
    const hedge = this.#plan.hedge;
    if (hedge === undefined || this.#hedges >= hedge.maxHedges || this.#settled) return;
    if (this.#hedgeTimer !== undefined) clearTimeout(this.#hedgeTimer);
    if (!this.#hasNext()) {
      this.#hedgeTimer = undefined;
      return;
    }
    this.#hedgeTimer = setTimeout(Call.#hedgeDue, this.#hedgeDelay(s), this);
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

  #observeAttempt(s: TargetHealth<T>, attempt: number, hedge: boolean): AttemptObservation | undefined {
    const obs = this.#obs;
    if (obs === undefined) return undefined;
    const observed = safely(this.#core.observer ?? obs, () => obs.onAttemptStart(s.name, attempt, hedge));
    if (observed !== undefined) {
      const set = this.#observed ?? new Set<AttemptObservation>();
      this.#observed = set;
      set.add(observed);
    }
    return observed;
  }

  /** Ends an attempt's observation (once): a success when `kind` is undefined. */
  #endObserved(observed: AttemptObservation | undefined, kind: FailureKind | undefined): void {
    if (observed === undefined || this.#observed?.delete(observed) !== true) return;
    safely(this.#core.observer ?? observed, () =>
      observed.end(kind === undefined ? { ok: true } : { ok: false, kind }),
    );
  }

  #win(value: unknown, s: TargetHealth<T>): void {
    if (this.#settled) return;
    this.#settle();
    if (this.#inflight.length > 0) this.#abortInflight('aborted', new AbortedError());
    const obs = this.#obs;
    if (obs !== undefined) {
      this.#endAllObserved('aborted');
      const outcome = {
        ok: true as const,
        target: s.name,
        attempts: this.#totalAttempts,
        failoverCount: this.#failovers,
      };
      safely(this.#core.observer ?? obs, () => obs.end(outcome));
    }
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
    const obs = this.#obs;
    if (obs === undefined) return;
    this.#endAllObserved(cut);
    const outcome = {
      ok: false as const,
      kind,
      target: this.#lastStarted?.name,
      attempts: this.#totalAttempts,
      failoverCount: this.#failovers,
    };
    safely(this.#core.observer ?? obs, () => obs.end(outcome));
  }

  /** The call ended while attempts still run (hedge losers, cut attempts): they end as `kind`. */
  #endAllObserved(kind: FailureKind): void {
    const set = this.#observed;
    if (set === undefined || set.size === 0) return;
    for (const observed of [...set]) this.#endObserved(observed, kind);
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

/** The operation, run through the attempt observation's `run` (its span active meanwhile). */
function withObservation<T, R>(fn: Operation<T, R>, observed: AttemptObservation): AnyOperation {
  return (target: T, context: AttemptContext) => observed.run!(() => fn(target, context));
}
