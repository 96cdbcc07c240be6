import { applyAfterFailure, STOP } from './apply-after-failure.js';
import { Attempt, type AttemptContext, type Operation } from './attempt.js';
import { CallEnd } from './call-end.js';
import { CallLog } from './call-log.js';
import { CallObserved, withObservation } from './call-observation.js';
import { claim, joinProbe, type Left, NEXT } from './claim.js';
import { BulkheadFullError } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import { Hedger } from './hedger.js';
import type { AnyOperation, CallCore, CallPlan } from './plan.js';
import type { TargetHealth } from './target-health.js';

/** A failure a lane still has to act on. */
interface Pending {
  readonly err: unknown;
  readonly kind: FailureKind;
}

/** How one attempt ended. */
type Outcome = { readonly ok: true; readonly value: unknown } | ({ readonly ok: false } & Pending);

/**
 * One call: failover, retries, a deadline, attempt timeouts, hedging, panic routing. A lane walks
 * the targets in order; a hedge starts another lane on the next unused target. The first success
 * wins, an answer (a non-availability failure) ends the call, and when every lane has run out of
 * targets the call fails with an `AllTargetsFailedError`.
 *
 * The work is shared out: the lanes and their attempts are here; which target comes next is
 * claim.ts (skips, failovers, panic routing); what follows a failed attempt is
 * apply-after-failure.ts (the pure decision is after-failure.ts); the hedge timer is hedger.ts;
 * what the call did is its {@link CallLog}; how it ends, once, is its {@link CallEnd}.
 *
 * The router makes a `Call` only when it cannot take its fast path (see lead.ts), or to continue a
 * fast-path call whose first attempt failed ({@link Call.resume}).
 */
export class Call<T, R> {
  readonly #core: CallCore;
  readonly #fn: Operation<T, R>;
  readonly #plan: CallPlan<TargetHealth<T>>;
  readonly #log: CallLog<T>;
  readonly #end: CallEnd<T>;
  readonly #hedger: Hedger<T> | undefined;
  /** Attempts go through an Attempt (own AbortController) rather than straight to the operation. */
  readonly #controlled: boolean;
  readonly #observed: CallObserved | undefined;
  #lanes = 0;

  constructor(core: CallCore, fn: Operation<T, R>, plan: CallPlan<TargetHealth<T>>) {
    this.#core = core;
    this.#fn = fn;
    this.#plan = plan;
    this.#observed =
      plan.observation === undefined ? undefined : new CallObserved(plan.observation, core.observer);
    this.#controlled =
      plan.deadlineMs !== undefined || plan.attemptTimeoutMs !== undefined || plan.hedge !== undefined;
    const log = new CallLog<T>(plan.order);
    this.#log = log;
    const end = new CallEnd<T>(core, plan, log, this.#observed);
    this.#end = end;
    if (plan.hedge !== undefined) {
      const hedger = new Hedger<T>(core, plan.hedge, log, end, this);
      this.#hedger = hedger;
      end.hedge = hedger;
    }
  }

  /** Starts the call from the first target. */
  start(): Promise<unknown> {
    const end = this.#end;
    if (end.listen()) {
      const deadlineMs = this.#plan.deadlineMs;
      if (deadlineMs !== undefined) end.startDeadline(deadlineMs);
      void this.#lane(undefined, undefined);
    }
    return end.promise;
  }

  /**
   * Continues a call whose first attempt, a lead attempt on the target at `pos` (the targets
   * before it were skipped, their breakers open), failed with `err`. The lead attempt carried the
   * call's deadline (`deadlineAt`, a `Date.now()` time) if any.
   */
  resume(pos: number, err: unknown, kind: FailureKind, deadlineAt?: number): Promise<unknown> {
    const log = this.#log;
    const end = this.#end;
    for (let i = 0; i < pos; i++) log.skipped(i);
    log.next = pos + 1;
    log.started(pos);
    if (pos > 0) log.failovers = 1;
    if (!end.listen()) return end.promise;
    if (deadlineAt !== undefined && !end.carryDeadline(deadlineAt, err)) return end.promise;
    void this.#lane(undefined, { err, kind }, pos);
    return end.promise;
  }

  /** The hedger's call: starts a hedge lane from the target the call last started on. */
  startHedgeLane(): void {
    const log = this.#log;
    void this.#lane(log.lastStarted ?? log.order[0], undefined);
  }

  /**
   * Walks targets until the call settles or none is left. `hedgeFrom` marks a hedge lane (its
   * first target is announced as a 'hedge'); `pending` is a failure the lane starts from, on the
   * target at `from`.
   */
  async #lane(
    hedgeFrom: TargetHealth<T> | undefined,
    pending: Pending | undefined,
    from = NEXT,
  ): Promise<void> {
    const log = this.#log;
    const end = this.#end;
    this.#lanes++;
    try {
      let pos = from;
      let attempt = pending === undefined ? 0 : 1;
      let left: Left<T> | undefined;
      let previousDelay: number | undefined;
      let hedging = hedgeFrom !== undefined;
      for (;;) {
        if (end.settled) return;
        if (pos === NEXT) {
          pos = claim(log, this.#core.events, left, hedgeFrom, this.#hedger);
          hedgeFrom = undefined;
          if (pos === NEXT) {
            pos = await joinProbe(log, this.#core.events, this.#lanes, end);
            if (pos === NEXT) return;
          }
          attempt = 0;
          previousDelay = undefined;
        }
        const s = log.order[pos]!;
        if (pending === undefined) {
          const bulkhead = s.bulkhead;
          if (bulkhead !== undefined) {
            const full = await this.#slot(s, pos);
            if (end.settled || full !== undefined) {
              // An early probe this call reserved and will not send: the next call may.
              if (log.earlyProbe === pos) s.releaseEarly();
              log.earlyProbe = undefined;
            }
            if (end.settled) return;
            if (full !== undefined) {
              left = full;
              pos = NEXT;
              continue;
            }
          }
          if (log.earlyProbe === pos) log.earlyProbe = undefined; // sent now (fire clears it)
          attempt++;
          const outcome = await this.#attempt(s, pos, attempt, hedging);
          bulkhead?.release();
          hedging = false;
          if (outcome.ok) {
            end.win(outcome.value, pos);
            return;
          }
          if (end.settled) return;
          pending = outcome;
        }
        const { err, kind } = pending;
        pending = undefined;
        const delay = applyAfterFailure(this.#core, this.#plan, log, end, {
          pos,
          attempt,
          err,
          kind,
          previousDelay,
        });
        if (delay === STOP) return;
        if (delay === NEXT) {
          left = { from: s, kind, err };
          pos = NEXT;
          continue;
        }
        previousDelay = delay;
        if (delay > 0) await end.sleep(delay);
        if (!end.settled && !s.admits()) {
          // The breaker opened while we waited: do not knock on an open target.
          left = { from: s, kind, err };
          pos = NEXT;
        }
      }
    } catch (bug) {
      end.fail(bug, 'unknown');
    } finally {
      this.#lanes--;
      if (this.#lanes === 0 && !end.settled) end.exhausted();
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
    if (!bulkhead.canQueue || this.#log.hasNext()) {
      const err = new BulkheadFullError(s.name, bulkhead.maxConcurrent, bulkhead.maxQueue);
      this.#log.failed(pos, 'throttled', err);
      return { from: s, kind: 'throttled', err };
    }
    await bulkhead.take();
    if (!this.#end.settled && s.admits()) return undefined;
    bulkhead.release();
    return { from: s, kind: 'unavailable', err: s.openError };
  }

  /** Runs one attempt on `s`: its value, or its failure and the failure's kind. */
  async #attempt(s: TargetHealth<T>, pos: number, attempt: number, hedging: boolean): Promise<Outcome> {
    this.#log.started(pos);
    const a = this.#controlled ? new Attempt(attempt, s.name) : undefined;
    const context: AttemptContext = a ?? { signal: this.#plan.signal, attempt };
    const observed = this.#observed?.attemptStarted(s.name, attempt, hedging);
    const fn = observed?.run === undefined ? (this.#fn as AnyOperation) : withObservation(this.#fn, observed);
    if (a !== undefined) this.#arm(s, a);
    let value: unknown;
    try {
      value = await s.fire(fn, context, a, this.#plan.operation);
    } catch (err) {
      if (a !== undefined) this.#endAttempt(a);
      const kind = a?.kind ?? a?.abortKind ?? s.kindOf(err, context);
      this.#observed?.attemptEnded(observed, kind, err);
      return { ok: false, err, kind };
    }
    if (a !== undefined) this.#endAttempt(a);
    this.#observed?.attemptEnded(observed, undefined);
    return { ok: true, value };
  }

  /** Gives a controlled attempt its time limit and arms the hedge. */
  #arm(s: TargetHealth<T>, a: Attempt): void {
    this.#end.inflight.push(a);
    const timeoutMs = this.#plan.attemptTimeoutMs;
    if (timeoutMs !== undefined) a.limit(this.#core, timeoutMs);
    else a.startedAt = Date.now();
    if (this.#plan.idempotent && this.#plan.replayable) a.rerunOnStall = this.#core.rerunOnStall;
    this.#hedger?.arm(s);
  }

  /** Forgets a settled attempt and releases its time limit (if the breaker never ran it). */
  #endAttempt(a: Attempt): void {
    a.release();
    const inflight = this.#end.inflight;
    const i = inflight.indexOf(a);
    if (i >= 0) inflight.splice(i, 1);
  }
}
