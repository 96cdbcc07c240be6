import { Attempt, type AttemptContext, type Operation } from './attempt.js';
import { RetryBudget } from './budget.js';
import { Call, type CallCore, type CallPlan, type RunResult } from './call.js';
import { TypedEmitter } from './emitter.js';
import { AbortedError, FailoverError, InvalidOptionError, type TargetFailure } from './errors.js';
import type { FailoverEventName, FailoverEvents, FailoverListener } from './events.js';
import type { FailureKind } from './failure-kind.js';
import type {
  FailoverOptions,
  FailoverTarget,
  HedgeOptions,
  ResolvedOptions,
  RunOptions,
} from './options.js';
import type { FailoverStatus } from './status.js';
import { type SharedContext, TargetHealth } from './target-health.js';
import { Timeouts } from './timeout-queue.js';
import { checkRunOptions, resolveHedge, resolveOptions, validateTargets } from './validate.js';

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
  'budgetExhausted',
]);

const NO_FAILURES: readonly TargetFailure[] = Object.freeze([]);

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
  readonly #first: TargetHealth<T>;
  readonly #budget: RetryBudget | undefined;
  readonly #events = new TypedEmitter<FailoverEvents>();
  /** Deadlines and attempt timeouts: one shared timer per duration, not one per call. */
  readonly #timeouts = new Timeouts();
  readonly #core: CallCore;
  /** A call without options can take the fast path: no attempt timeout and not closed. */
  #plain: boolean;
  /**
   * The plan of a call without options when the router has an attempt timeout: the same for
   * every such call, so made once.
   */
  readonly #defaultLead: CallPlan<T> | undefined;
  #closed = false;

  constructor(options: FailoverOptions<T>, defaultMaxAttempts?: number) {
    const resolved = resolveOptions(options, defaultMaxAttempts);
    const targets = validateTargets<T>((options as { targets?: unknown }).targets);
    this.#options = resolved;
    this.targets = Object.freeze([...targets]);
    this.#budget = resolved.budget === undefined ? undefined : new RetryBudget(resolved.budget);
    const shared: SharedContext = {
      classify: resolved.classify,
      kinds: new WeakMap<object, FailureKind>(),
      events: this.#events,
      budget: this.#budget,
      recover: (s, fn, idempotent, err, kind) =>
        this.#recover(s as TargetHealth<T>, fn, idempotent, err, kind),
      resume: (s, fn, attempt, err, kind) => this.#resumeLead(s as TargetHealth<T>, fn, attempt, err, kind),
    };
    this.#health = this.targets.map((t) => new TargetHealth<T>(t, resolved.breaker, shared));
    this.#byName = new Map(this.#health.map((h) => [h.name, h]));
    this.#first = this.#health[0]!;
    this.#core = {
      retry: resolved.retry,
      budget: this.#budget,
      events: this.#events,
      timeouts: this.#timeouts,
    };
    this.#plain = resolved.attemptTimeoutMs === undefined;
    this.#defaultLead =
      resolved.attemptTimeoutMs === undefined
        ? undefined
        : Object.freeze({
            order: this.#health,
            idempotent: false,
            replayable: true,
            signal: undefined,
            deadlineMs: undefined,
            attemptTimeoutMs: resolved.attemptTimeoutMs,
            hedge: undefined,
            detailed: false,
          });
  }

  run<R>(fn: Operation<T, R>, options?: RunOptions): Promise<R> {
    if (options === undefined) {
      const s = this.#first;
      if (this.#plain) {
        // The hot path: the breaker's own promise, nothing wrapped around it. A failure that counts
        // against the breaker continues in the breaker's fallback (see #recover); an answer (404...)
        // rejects with the original error.
        if (s.admits()) return s.breaker.fire(fn, s.target, s.plainContext, undefined) as Promise<R>;
      } else if (this.#defaultLead !== undefined && !this.#closed && s.admits()) {
        // The same with the router's attempt timeout (see #lead).
        return this.#lead(s, fn, this.#defaultLead) as Promise<R>;
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
    const h = this.#byName.get(name);
    if (h === undefined) throw new InvalidOptionError('name', `unknown target "${name}"`);
    return !this.#closed && h.admits();
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
    this.#plain = false;
    for (const h of this.#health) h.shutdown();
    this.#timeouts.close();
    this.#events.clear();
  }

  /** Continues a hot-path call after its first attempt failed with an availability kind. */
  #recover(
    s: TargetHealth<T>,
    fn: Operation<T, unknown>,
    idempotent: boolean,
    err: unknown,
    kind: FailureKind,
  ): Promise<unknown> {
    const plan: CallPlan<T> = {
      order: this.#health,
      idempotent,
      replayable: true,
      signal: undefined,
      deadlineMs: undefined,
      attemptTimeoutMs: undefined,
      hedge: undefined,
      detailed: false,
    };
    return new Call(this.#core, fn, plan).resume(s, err, kind);
  }

  /**
   * A call with a deadline or an attempt timeout and nothing else to watch (no caller signal, no
   * hedge, no detailed result), whose first target admits it: its first attempt carries the time
   * limits itself and the breaker's promise is returned as is. A failure that counts against the
   * breaker continues in the breaker's fallback (see {@link FailoverRouter.#resumeLead}); an answer
   * rejects with the original error.
   */
  #lead(s: TargetHealth<T>, fn: Operation<T, unknown>, plan: CallPlan<T>): Promise<unknown> {
    const now = Date.now();
    const a = new Attempt(1, s.name, plan as unknown as CallPlan<never>);
    // The deadline first: when both end at once, the call fails with the deadline's error.
    if (plan.deadlineMs !== undefined) a.carryDeadline(this.#timeouts, plan.deadlineMs, now);
    if (plan.attemptTimeoutMs !== undefined) a.limit(this.#timeouts, plan.attemptTimeoutMs, now);
    return s.breaker.fire(fn, s.target, a, a);
  }

  /** Continues a lead call (see {@link FailoverRouter.#lead}) whose first attempt failed. */
  #resumeLead(
    s: TargetHealth<T>,
    fn: Operation<T, unknown>,
    a: Attempt,
    err: unknown,
    kind: FailureKind,
  ): Promise<unknown> {
    a.release(); // already done if the attempt ran; not if the breaker rejected it unrun
    // The deadline passed during the attempt: the call ends with the deadline's error.
    if (a.deadlineError !== undefined) return Promise.reject(a.deadlineError);
    return new Call(this.#core, fn, a.plan as unknown as CallPlan<T>).resume(s, err, kind, a.deadlineAt);
  }

  /**
   * A single first attempt with a caller's signal, a target list, a detailed result or a
   * non-replayable operation: awaited here, a failure continues in a {@link Call} (which, for a
   * non-replayable one, only settles it).
   */
  async #first1(
    s: TargetHealth<T>,
    fn: Operation<T, unknown>,
    order: readonly TargetHealth<T>[],
    idempotent: boolean,
    replayable: boolean,
    signal: AbortSignal | undefined,
    detailed: boolean,
  ): Promise<unknown> {
    const context: AttemptContext = { signal, attempt: 1 };
    let value: unknown;
    try {
      value = await s.breaker.fire(fn, s.target, context, undefined);
    } catch (err) {
      const plan: CallPlan<T> = {
        order,
        idempotent,
        replayable,
        signal,
        deadlineMs: undefined,
        attemptTimeoutMs: undefined,
        hedge: undefined,
        detailed,
      };
      return new Call(this.#core, fn, plan).resume(s, err, s.kindOf(err, context));
    }
    return detailed ? { value, target: s.target, attempts: 1, failures: NO_FAILURES } : value;
  }

  #start(fn: Operation<T, unknown>, options: RunOptions | undefined, detailed: boolean): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new FailoverError('invalid', 'The failover router is closed'));
    }
    let order = this.#health;
    let hedge: Required<HedgeOptions> | undefined;
    let attemptTimeoutMs = this.#options.attemptTimeoutMs;
    let deadlineMs: number | undefined;
    let signal: AbortSignal | undefined;
    let idempotent = false;
    let replayable = true;
    if (options !== undefined) {
      try {
        checkRunOptions(options);
        if (options.targets !== undefined) order = this.#select(options.targets);
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
    if (deadlineMs === undefined && attemptTimeoutMs === undefined && hedge === undefined) {
      const s = order[0]!;
      if (s.admits()) {
        if (signal === undefined && !detailed && replayable && order === this.#health) {
          // The breaker's fallback continues a failure of these shared contexts (see #recover).
          const context = idempotent ? s.idempotentContext : s.plainContext;
          return s.breaker.fire(fn, s.target, context, undefined);
        }
        return this.#first1(s, fn, order, idempotent, replayable, signal, detailed);
      }
    }
    const plan: CallPlan<T> = {
      order,
      idempotent,
      replayable,
      signal,
      deadlineMs,
      attemptTimeoutMs,
      hedge,
      detailed,
    };
    if (hedge === undefined && signal === undefined && !detailed) {
      const s = order[0]!;
      if (s.admits()) return this.#lead(s, fn, plan);
    }
    return new Call(this.#core, fn, plan).start();
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

function checkEvent(event: string): void {
  if (!EVENT_NAMES.has(event)) {
    throw new TypeError(`Unknown event "${event}" (known: ${[...EVENT_NAMES].join(', ')})`);
  }
}
