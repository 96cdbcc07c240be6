/**
 * A hedged call's hedge timer: after an attempt starts, it waits the hedge delay (the plan's
 * `afterMs`, or {@link autoHedgeDelay}) and, if the call is still running and another target
 * admits it, pays the retry budget and starts a hedge lane. One pending hedge at a time, an entry
 * in the router's shared time limits (no timer of its own), cancelled when the call ends.
 *
 * @internal
 */
import type { CallLog } from './call-log.js';
import { autoHedgeDelay } from './hedge-delay.js';
import type { HedgePolicy } from './options.js';
import type { CallCore } from './plan.js';
import type { TargetHealth } from './target-health.js';
import type { TimeoutEntry } from './timeout-queue.js';

/** Whether the call has ended (the hedger then does nothing). */
export interface CallState {
  readonly settled: boolean;
}

/** The call, which starts a hedge lane when the hedger says so. */
export interface HedgeLanes {
  /** Starts a hedge lane (from the target the call last started on). */
  startHedgeLane(): void;
}

export class Hedger<T> {
  readonly #core: CallCore;
  readonly #policy: HedgePolicy;
  readonly #log: CallLog<T>;
  readonly #call: CallState;
  readonly #lanes: HedgeLanes;
  #entry: TimeoutEntry | undefined;

  constructor(core: CallCore, policy: HedgePolicy, log: CallLog<T>, call: CallState, lanes: HedgeLanes) {
    this.#core = core;
    this.#policy = policy;
    this.#log = log;
    this.#call = call;
    this.#lanes = lanes;
  }

  /** How long to wait for `s` before hedging: the plan's `afterMs`, or see {@link autoHedgeDelay}. */
  delay(s: TargetHealth<T>): number {
    const afterMs = this.#policy.afterMs;
    if (afterMs !== 'auto') return afterMs;
    const log = this.#log;
    const others = [];
    for (let i = log.next; i < log.order.length; i++) {
      const o = log.order[i]!;
      if (o.admits()) others.push(o.latency);
    }
    return autoHedgeDelay(s.latency, others, this.#core.explore);
  }

  /** An attempt started on `s`: (re)arms the hedge, unless the call may hedge no more. */
  arm(s: TargetHealth<T>): void {
    if (this.#log.hedges >= this.#policy.maxHedges || this.#call.settled) return;
    this.cancel();
    if (!this.#log.hasNext()) return;
    this.#entry = this.#core.timeouts.add(this.delay(s), Hedger.#due, this);
  }

  /** Drops the pending hedge, if any. */
  cancel(): void {
    this.#entry?.cancel();
    this.#entry = undefined;
  }

  static #due<T>(h: Hedger<T>): void {
    h.#entry = undefined;
    const log = h.#log;
    if (h.#call.settled || !log.hasNext()) return;
    const core = h.#core;
    const budget = core.budget;
    if (budget !== undefined && !budget.tryAcquire(budget.retryCost)) {
      const events = core.events;
      if (events.has('budgetExhausted')) {
        const to = log.nextAdmitting()!;
        events.emit('budgetExhausted', { target: to.name, tokens: budget.tokens, cost: budget.retryCost });
      }
      return;
    }
    log.hedges++;
    h.#lanes.startHedgeLane();
  }
}
