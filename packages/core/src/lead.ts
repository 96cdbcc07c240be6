/**
 * The router's one fast path, a *lead* call: the first attempt of a call with nothing else to
 * watch (no caller signal, no hedge, no detailed result, no observer, no bulkhead) whose target
 * admits it runs with no `Call` at all. The attempt carries the call's time limits itself and the
 * breaker's promise is the caller's: a success costs no `Call`. A failure that counts against the
 * breaker continues in the breaker's fallback ({@link LeadCalls.resume}) as a `Call` resumed after
 * its first attempt; an answer rejects with the original error.
 *
 * @internal
 */
import { Attempt, type Operation } from './attempt.js';
import { Call } from './call.js';
import type { FailureKind } from './failure-kind.js';
import type { AnyOperation, CallCore, CallPlan, LeadContext } from './plan.js';
import type { TargetHealth } from './target-health.js';

export class LeadCalls<T> {
  readonly #core: CallCore;
  /** The plan of every call without options: its lead contexts are made once per position. */
  readonly #defaultPlan: CallPlan<TargetHealth<T>>;
  readonly #defaultContexts: LeadContext[] = [];

  constructor(core: CallCore, defaultPlan: CallPlan<TargetHealth<T>>) {
    this.#core = core;
    this.#defaultPlan = defaultPlan;
  }

  /** Runs the first attempt of a call on the target at `pos` of `plan.order` (it admits the call). */
  start(pos: number, fn: Operation<T, unknown>, plan: CallPlan<TargetHealth<T>>): Promise<unknown> {
    const s = plan.order[pos]!;
    if (pos > 0) this.#skipped(plan.order, pos);
    if (plan.deadlineMs === undefined && plan.attemptTimeoutMs === undefined) {
      // Nothing can cancel it: the operation's own promise goes to the breaker, no Attempt.
      return s.fire(fn as AnyOperation, this.#context(plan, pos), undefined, plan.operation);
    }
    const core = this.#core;
    const a = new Attempt(1, s.name, plan);
    a.position = pos;
    // The deadline first: when both end at once, the call fails with the deadline's error.
    if (plan.deadlineMs !== undefined) a.carryDeadline(core.timeouts, plan.deadlineMs);
    if (plan.attemptTimeoutMs !== undefined) a.limit(core, plan.attemptTimeoutMs);
    if (plan.idempotent && plan.replayable) a.rerunOnStall = core.rerunOnStall;
    return s.fire(fn as AnyOperation, a, a, plan.operation);
  }

  /** Continues a lead call whose first attempt failed with an availability kind. */
  resume(fn: AnyOperation, lead: Attempt | LeadContext, err: unknown, kind: FailureKind): Promise<unknown> {
    let deadlineAt: number | undefined;
    if (lead instanceof Attempt) {
      lead.release(); // already done if the attempt ran; not if the breaker rejected it unrun
      // The deadline passed during the attempt: the call ends with the deadline's error.
      if (lead.deadlineError !== undefined) return Promise.reject(lead.deadlineError);
      deadlineAt = lead.deadlineAt;
    }
    const plan = lead.plan as CallPlan<TargetHealth<T>>;
    return new Call(this.#core, fn, plan).resume(lead.position, err, kind, deadlineAt);
  }

  /** The targets before `pos` were skipped (breaker open), as a `Call` would record them. */
  #skipped(order: readonly TargetHealth<T>[], pos: number): void {
    for (let i = 0; i < pos; i++) order[i]!.skipped();
    const events = this.#core.events;
    if (events.has('failover')) {
      const from = order[pos - 1]!;
      events.emit('failover', {
        from: from.name,
        to: order[pos]!.name,
        kind: 'unavailable',
        error: from.openError,
      });
    }
  }

  /** The uncancellable lead context for `pos` in `plan` (cached for the default plan). */
  #context(plan: CallPlan<TargetHealth<T>>, pos: number): LeadContext {
    if (plan !== this.#defaultPlan)
      return Object.freeze({ signal: undefined, attempt: 1, plan, position: pos });
    let context = this.#defaultContexts[pos];
    if (context === undefined) {
      context = Object.freeze({ signal: undefined, attempt: 1, plan, position: pos });
      this.#defaultContexts[pos] = context;
    }
    return context;
  }
}
