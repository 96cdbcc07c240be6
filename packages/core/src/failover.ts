import type { Operation } from './attempt.js';
import { RetryBudget } from './budget.js';
import { Call } from './call.js';
import { NEXT, probeLeastRecentlyFailed } from './claim.js';
import { classifyFailure } from './classify.js';
import { TypedEmitter } from './emitter.js';
import { AbortedError, FailoverError, InvalidOptionError } from './errors.js';
import type { FailoverEventName, FailoverEvents, FailoverListener } from './events.js';
import { ExplorePacer } from './explore-pacer.js';
import { type FailureKind, isFailureKind } from './failure-kind.js';
import { LeadCalls } from './lead.js';
import { type CallObservation, type CallStartInfo, safely } from './observer.js';
import type { FailoverOptions, FailoverTarget, HedgePolicy, ResolvedOptions, RunOptions } from './options.js';
import { readOptions } from './options-reader.js';
import type { CallCore, CallPlan, HealthShared } from './plan.js';
import type { RunResult } from './run-result.js';
import { StallMonitor } from './stall.js';
import type { BreakerState, FailoverStatus } from './status.js';
import { TargetHealth } from './target-health.js';
import { Timeouts } from './timeout-queue.js';
import {
  checkOperation,
  checkRunOptions,
  resolveHedge,
  resolveOptions,
  validateTargets,
} from './validate.js';

/**
 * A failover router over ordered targets: one breaker per target, retries with jittered backoff
 * and a shared budget, deadlines, hedging, events and a status snapshot. Made by
 * {@link createFailover}.
 */
export interface Failover<T extends FailoverTarget = FailoverTarget> {
  /** The targets, in order of preference. */
  readonly targets: readonly T[];

  /**
   * Runs `fn` on the first healthy target, retrying and failing over as the options allow, and
   * returns its value. Availability failures (unavailable, timeout, network, throttled) move the
   * call on; any other error is thrown at once, unchanged. When every target failed it rejects
   * with an `AllTargetsFailedError`; when the deadline passes, with a `DeadlineExceededError`;
   * when the caller aborts, with an `AbortedError`. With `replayable: false` it makes a single
   * attempt and rethrows that attempt's failure unchanged.
   */
  run<R>(fn: Operation<T, R>, options?: RunOptions): Promise<R>;

  /** Like {@link Failover.run}, and also says which target served the call and what failed before. */
  runDetailed<R>(fn: Operation<T, R>, options?: RunOptions): Promise<RunResult<T, R>>;

  /** A snapshot of every target's health and of the retry budget. Cheap; computed on demand. */
  status(): FailoverStatus;

  /** True when a call may go to the named target now (breaker closed, or half-open with the probe free). */
  isAvailable(name: string): boolean;

  /**
   * The named target's breaker state, as {@link Failover.status} reports it, without building the
   * whole status (no latency summaries): cheap enough to ask per call. Throws an
   * `InvalidOptionError` for an unknown target.
   */
  stateOf(name: string): BreakerState;

  /**
   * Panic routing's last resort for a caller that sends its own calls to single targets (a
   * fan-out): when none of `names` (default: every target) admits a call, the open one that
   * failed least recently, at least `EARLY_PROBE_AFTER_MS` ago, is made ready for an early probe
   * (the next call to it is its probe, without the probe gate) and its name returned; else
   * `undefined`. Emits `panic` with `early: true`. See the panic routing of `run` (docs/core.md).
   * Throws an `InvalidOptionError` for an unknown target.
   */
  probeEarly(names?: readonly string[]): string | undefined;

  /**
   * Fleet hook: opens the named target's breaker now, as if this router's own calls had tripped
   * it (another instance saw the target fail). The usual reset timeout follows, then a half-open
   * probe. Emits `open` with `remote: true` and `reason`. A no-op when the breaker is already
   * open, and, while `breaker.keepLastTarget` is on (the default), when it is the last of several
   * targets with a closed breaker: the other instance's failures may have been its own (its CPU,
   * its network), and this router's own failures still eject the target. Throws an `InvalidOptionError` (option `name`) for an unknown target.
   */
  trip(name: string, options?: { reason?: string }): void;

  /**
   * Opens the named target's breaker now on this process's own evidence, gathered outside the
   * router's attempts (the multi-cloud store's unresponsive-target ejection: its requests stay
   * unanswered while the other targets answer newer ones). Like a trip by the router's own calls:
   * emits `open` with `remote: false`, `kind` (default `'timeout'`) and `reason` (default
   * `'ejected'`: an opening by `eject` always has one, an opening by failed calls never does, so a
   * listener such as the fleet's can tell a judgement from failures); the usual reset timeout and
   * half-open probe follow. A no-op when the breaker is already open, and for the last closed
   * target of several under `breaker.keepLastTarget` with a `timeout` or `network` kind (as fast
   * ejection). Throws an
   * `InvalidOptionError` (option `name`) for an unknown target.
   */
  eject(name: string, options?: { reason?: string; kind?: FailureKind }): void;

  /**
   * Fleet hook: closes the named target's open or half-open breaker now (another instance saw
   * the target healthy). Emits `close` with `remote: true`. A no-op when it is closed. Throws an
   * `InvalidOptionError` (option `name`) for an unknown target.
   */
  recover(name: string): void;

  /**
   * Reports the outcome of work on the named target that ended after its attempt did: a download
   * body that failed (cut, stalled, or the caller's own check failed with an availability kind)
   * or completed after the operation returned its stream. `error` undefined is a success. A
   * failure of an availability kind counts against the target as a failed attempt would in the
   * consecutive-failure triggers (`breaker.consecutiveFailures`, `consecutiveConnectFailures`,
   * `consecutiveOperationFailures` with `operation`), the status failure counts and
   * `lastFailure`, and opens its breaker when one fires; it is not part of the rolling error rate
   * (no attempt ran). Other kinds (cancelled, an answer) change nothing but the counts. A no-op
   * once the router is closed. Throws an `InvalidOptionError` for an unknown target or a bad
   * `operation`.
   */
  report(name: string, outcome: { readonly operation?: string; readonly error?: unknown }): void;

  /** Adds a listener; returns a function that removes it. A throwing listener never breaks a call. */
  on<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): () => void;

  /** Adds a listener called once; returns a function that removes it. */
  once<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): () => void;

  /** Removes a listener. */
  off<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): void;

  /**
   * Stops every breaker's timers and removes every listener, so the process can exit. Calls
   * already running finish; later calls reject. Safe to call twice.
   */
  close(): void;
}

const EVENT_NAMES: ReadonlySet<string> = new Set<FailoverEventName>([
  'failover',
  'open',
  'halfOpen',
  'close',
  'retry',
  'hedge',
  'rejected',
  'panic',
  'budgetExhausted',
]);

/**
 * Creates a failover router over `options.targets` (in order of preference). Throws an
 * `InvalidOptionError` naming the option and the allowed range when an option is invalid.
 *
 * @example
 * const fo = createFailover({ targets: [{ name: 'aws' }, { name: 'gcp' }] });
 * const body = await fo.run((t, { signal }) => fetch(`${urls[t.name]}/k`, { signal }), { idempotent: true });
 */
export function createFailover<T extends FailoverTarget>(options: FailoverOptions<T>): Failover<T> {
  return new FailoverRouter<T>(options);
}

/** @internal Exported for `wrap`, which has another default `maxAttempts`. */
export function createFailoverWith<T extends FailoverTarget>(
  options: FailoverOptions<T>,
  defaultMaxAttempts: number,
): Failover<T> {
  return new FailoverRouter<T>(options, defaultMaxAttempts);
}

class FailoverRouter<T extends FailoverTarget> implements Failover<T> {
  readonly targets: readonly T[];
  readonly #options: ResolvedOptions;
  readonly #health: readonly TargetHealth<T>[];
  readonly #byName: ReadonlyMap<string, TargetHealth<T>>;
  readonly #names: readonly string[];
  readonly #budget: RetryBudget | undefined;
  readonly #events = new TypedEmitter<FailoverEvents>();
  /** Deadlines and attempt timeouts: one shared timer per duration, not one per call. */
  readonly #stalls = new StallMonitor();
  readonly #timeouts = new Timeouts(this.#stalls);
  readonly #core: CallCore;
  /** A call without options may take the fast path (no observer, no bulkhead, not closed). */
  #fast: boolean;
  /**
   * An observer but no bulkhead, not closed: a call without options asks the observer first, and
   * takes the fast path when it ignores the call (`@failover/otel` without an SDK does).
   */
  #observedFast: boolean;
  /** What the observer is told of a call without options (made once). */
  readonly #defaultInfo: CallStartInfo;
  /** How often adaptive hedging explores unknown targets. */
  readonly #explorer = new ExplorePacer();
  /** While some target is demoted: the latest end of a demotion (0 when none). */
  #demotedUntil = 0;
  /** The fast path (see lead.ts). */
  readonly #leads: LeadCalls<T>;
  /** The plan of every call without options (made once). */
  readonly #defaultPlan: CallPlan<TargetHealth<T>>;
  #closed = false;

  constructor(options: FailoverOptions<T>, defaultMaxAttempts?: number) {
    const resolved = resolveOptions(options, defaultMaxAttempts);
    const targets = validateTargets<T>((options as { targets?: unknown }).targets);
    this.#options = resolved;
    this.targets = Object.freeze([...targets]);
    this.#budget = resolved.budget === undefined ? undefined : new RetryBudget(resolved.budget);
    const shared: HealthShared = {
      classify: resolved.classify,
      kinds: new WeakMap<object, FailureKind>(),
      events: this.#events,
      budget: this.#budget,
      stalls: this.#stalls,
      lastClosed: (name) =>
        this.#health.length > 1 && !this.#health.some((h) => h.name !== name && h.state === 'closed'),
      resume: (_s, fn, lead, err, kind) => this.#leads.resume(fn, lead, err, kind),
    };
    this.#health = this.targets.map(
      (t, i) => new TargetHealth<T>(t, i, resolved.breaker, shared, resolved.bulkhead),
    );
    this.#byName = new Map(this.#health.map((h) => [h.name, h]));
    this.#names = Object.freeze(this.#health.map((h) => h.name));
    const classify = resolved.classify;
    const stalls = this.#stalls;
    this.#core = {
      retry: resolved.retry,
      budget: this.#budget,
      events: this.#events,
      timeouts: this.#timeouts,
      stalls,
      observer: resolved.observer,
      explore: (samples) => this.#explorer.explore(samples),
      demoted: (until) => {
        if (until > this.#demotedUntil) this.#demotedUntil = until;
      },
      rerunOnStall: (err, attempt) =>
        attempt.startedAt >= 0 &&
        classifyFailure(err, classify) === 'timeout' &&
        stalls.explainsFailure(attempt.startedAt, attempt.targetName),
    };
    this.#fast = resolved.observer === undefined && resolved.bulkhead === undefined;
    this.#observedFast = resolved.observer !== undefined && resolved.bulkhead === undefined;
    this.#defaultInfo = Object.freeze({ idempotent: false, targets: this.#names });
    this.#defaultPlan = Object.freeze({
      order: this.#health,
      idempotent: false,
      replayable: true,
      signal: undefined,
      deadlineMs: undefined,
      attemptTimeoutMs: resolved.attemptTimeoutMs,
      hedge: undefined,
      detailed: false,
      observation: undefined,
    });
    this.#leads = new LeadCalls<T>(this.#core, this.#defaultPlan);
  }

  run<R>(fn: Operation<T, R>, options?: RunOptions): Promise<R> {
    if (options === undefined && this.#demotedUntil === 0) {
      if (this.#fast) {
        // The one fast path: see lead.ts.
        const pos = firstAdmitting(this.#health);
        if (pos >= 0) return this.#leads.start(pos, fn, this.#defaultPlan) as Promise<R>;
      } else if (this.#observedFast) {
        // An observer that ignores the call (tracing and metrics off) leaves it on the fast path.
        const observer = this.#options.observer!;
        const info = this.#defaultInfo;
        const observation = safely(observer, () => observer.onCallStart(info));
        if (observation === undefined) {
          const pos = firstAdmitting(this.#health);
          if (pos >= 0) return this.#leads.start(pos, fn, this.#defaultPlan) as Promise<R>;
          return new Call(this.#core, fn, this.#defaultPlan).start() as Promise<R>;
        }
        return this.#start(fn, undefined, false, observation) as Promise<R>;
      }
    }
    return this.#start(fn, options, false) as Promise<R>;
  }

  runDetailed<R>(fn: Operation<T, R>, options?: RunOptions): Promise<RunResult<T, R>> {
    return this.#start(fn, options, true) as Promise<RunResult<T, R>>;
  }

  status(): FailoverStatus {
    const b = this.#budget;
    return {
      targets: this.#health.map((h) => h.snapshot()),
      budget: b === undefined ? undefined : { tokens: b.tokens, capacity: b.capacity },
    };
  }

  isAvailable(name: string): boolean {
    return !this.#closed && this.#target(name).admits();
  }

  stateOf(name: string): BreakerState {
    return this.#target(name).state;
  }

  probeEarly(names?: readonly string[]): string | undefined {
    const list = names === undefined ? this.#health : names.map((n) => this.#target(n));
    if (this.#closed || list.some((h) => h.admits())) return undefined;
    const pos = probeLeastRecentlyFailed(list, () => true, this.#events);
    return pos === NEXT ? undefined : list[pos]!.name;
  }

  trip(name: string, options?: { reason?: string }): void {
    const h = this.#target(name);
    const r = readOptions(options, '', true);
    const reason = r.string('reason', { allowEmpty: true });
    r.done();
    if (!this.#closed) h.trip(reason);
  }

  eject(name: string, options?: { reason?: string; kind?: FailureKind }): void {
    const h = this.#target(name);
    const r = readOptions(options, '', true);
    const reason = r.string('reason', { allowEmpty: true }) ?? 'ejected';
    const kind = r.check('kind', isFailureKind, 'a failure kind') ?? 'timeout';
    r.done();
    if (!this.#closed) h.eject(kind, reason);
  }

  recover(name: string): void {
    const h = this.#target(name);
    if (!this.#closed) h.recover();
  }

  report(name: string, outcome: { readonly operation?: string; readonly error?: unknown }): void {
    const h = this.#target(name);
    if (outcome === null || typeof outcome !== 'object') {
      throw new InvalidOptionError('outcome', 'must be an object: { operation?, error? }');
    }
    const { operation, error } = outcome;
    if (operation !== undefined) checkOperation(operation);
    if (!this.#closed) h.report(error, operation);
  }

  on<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): () => void {
    checkEvent(event);
    return this.#events.on(event, listener);
  }

  once<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): () => void {
    checkEvent(event);
    return this.#events.once(event, listener);
  }

  off<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): void {
    this.#events.off(event, listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fast = false;
    this.#observedFast = false;
    for (const h of this.#health) h.shutdown();
    this.#timeouts.close();
    this.#stalls.close();
    this.#events.clear();
  }

  #target(name: string): TargetHealth<T> {
    const h = typeof name === 'string' ? this.#byName.get(name) : undefined;
    if (h === undefined) {
      throw new InvalidOptionError('name', `unknown target ${JSON.stringify(String(name))}`);
    }
    return h;
  }

  /** Starts a call; `observed` is the observation when the observer was already asked (by `run`). */
  #start(
    fn: Operation<T, unknown>,
    options: RunOptions | undefined,
    detailed: boolean,
    observed?: CallObservation,
  ): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new FailoverError('invalid', 'The failover router is closed'));
    }
    let order = this.#health;
    let names = this.#names;
    let hedge: HedgePolicy | undefined;
    let attemptTimeoutMs = this.#options.attemptTimeoutMs;
    let deadlineMs: number | undefined;
    let signal: AbortSignal | undefined;
    let idempotent = false;
    let replayable = true;
    if (options !== undefined) {
      try {
        checkRunOptions(options);
        if (options.targets !== undefined) {
          order = this.#select(options.targets);
          names = Object.freeze([...options.targets]);
        }
        idempotent = options.idempotent === true;
        replayable = options.replayable !== false;
        if (idempotent && replayable && order.length > 1) {
          hedge = options.hedge === undefined ? this.#options.hedge : resolveHedge(options.hedge);
        }
      } catch (err) {
        return Promise.reject(err);
      }
      signal = options.signal;
      if (signal?.aborted) return Promise.reject(new AbortedError({ cause: signal.reason }));
      deadlineMs = options.deadlineMs;
      if (options.attemptTimeoutMs !== undefined) {
        attemptTimeoutMs = options.attemptTimeoutMs === false ? undefined : options.attemptTimeoutMs;
      }
    }
    if (this.#demotedUntil !== 0) order = this.#demote(order);
    let observation: CallObservation | undefined = observed;
    const observer = this.#options.observer;
    if (observer !== undefined && observed === undefined) {
      const info = { idempotent, targets: names };
      observation = safely(observer, () => observer.onCallStart(info));
    }
    const plan: CallPlan<TargetHealth<T>> = {
      order,
      idempotent,
      replayable,
      signal,
      deadlineMs,
      attemptTimeoutMs,
      hedge,
      detailed,
      observation,
      maxAttempts: options?.maxAttempts,
      operation: options?.operation,
      dispose: options?.dispose,
    };
    if (
      hedge === undefined &&
      signal === undefined &&
      !detailed &&
      observation === undefined &&
      this.#options.bulkhead === undefined
    ) {
      const pos = firstAdmitting(order);
      if (pos >= 0) return this.#leads.start(pos, fn, plan);
    }
    return new Call(this.#core, fn, plan).start();
  }

  /**
   * Latency-aware order: demoted targets (see `TargetHealth.lostRace`) go after the others, in
   * their own order. Costs nothing while no target is demoted.
   */
  #demote(order: readonly TargetHealth<T>[]): readonly TargetHealth<T>[] {
    const now = Date.now();
    if (now >= this.#demotedUntil) {
      this.#demotedUntil = 0;
      return order;
    }
    const front: TargetHealth<T>[] = [];
    const back: TargetHealth<T>[] = [];
    for (const h of order) (h.demotedUntil > now ? back : front).push(h);
    return back.length === 0 || front.length === 0 ? order : [...front, ...back];
  }

  #select(names: readonly string[]): readonly TargetHealth<T>[] {
    if (!Array.isArray(names) || names.length === 0) {
      throw new InvalidOptionError('targets', 'must be a non-empty array of target names');
    }
    const seen = new Set<string>();
    return names.map((name) => {
      const h = this.#byName.get(name);
      if (h === undefined) {
        throw new InvalidOptionError('targets', `unknown target ${JSON.stringify(String(name))}`);
      }
      if (seen.has(name)) throw new InvalidOptionError('targets', `target "${name}" is listed twice`);
      seen.add(name);
      return h;
    });
  }
}

/** The position of the first target whose breaker admits a call now, or -1. */
function firstAdmitting(order: readonly TargetHealth<unknown>[]): number {
  for (let i = 0; i < order.length; i++) if (order[i]!.admits()) return i;
  return -1;
}

function checkEvent(event: string): void {
  if (!EVENT_NAMES.has(event)) {
    throw new TypeError(`Unknown event "${event}" (known: ${[...EVENT_NAMES].join(', ')})`);
  }
}
