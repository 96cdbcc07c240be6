import type { Attempt, AttemptContext } from './attempt.js';
import { Bulkhead } from './bulkhead.js';
import { type Classifier, classifyFailure, failedBeforeSending } from './classify.js';
import { BreakerOpenError } from './errors.js';
import { FAILURE_KINDS, type FailureKind, isAvailabilityKind } from './failure-kind.js';
import { FailureStreaks } from './failure-streaks.js';
import { decideFailure } from './failure-verdict.js';
import { LatencyWindow } from './latency.js';
import { OpenPeriod } from './open-period.js';
import { breakerAction, createOpossum, type OpossumBreaker } from './opossum-breaker.js';
import type { BulkheadOptions, ResolvedBreaker } from './options.js';
import type { AnyOperation, HealthShared, LeadContext } from './plan.js';
import { RaceRecord } from './race-record.js';
import type { BreakerState, TargetStatus } from './status.js';

/**
 * Panic routing's last resort (see `TargetHealth.probeEarly`): an open target is probed before its
 * reset period ends only when its last failure is at least this old (ms), so a call that has no
 * other target sends at most one request per second to each target of a dead fleet of clouds.
 */
export const EARLY_PROBE_AFTER_MS = 1000;

/**
 * After the `probeGate` refused a half-open probe (another instance of a fleet has it), the gate
 * is asked again after at most this long (ms), not a whole reset period later.
 */
export const GATE_RETRY_MS = 1000;

/**
 * One target's breaker and health counters.
 *
 * opossum (used through its public API only, opossum-breaker.ts) keeps the rolling window and
 * opens on the error rate; this class owns what happens after: the open period (doubled after each
 * failed probe, up to the maximum, back to the base on close), the half-open probe slot (and the
 * router's `probeGate`), the consecutive-failure triggers (failure-streaks.ts, ejection.ts), and
 * remote trips and recoveries ({@link TargetHealth.trip}, {@link TargetHealth.recover}). While
 * open, opossum is open too (its own reset timer is set out of reach); while half-open, opossum is
 * closed and this class lets a single probe through.
 *
 * The breaker's error filter classifies each failure once (failure-verdict.ts decides what it
 * means): only availability kinds count against it.
 */
export class TargetHealth<T> {
  /** The user's target object. */
  readonly target: T;
  /** Its name. */
  readonly name: string;
  /** Its position in the router's target list. */
  readonly index: number;
  /** Its opossum breaker. */
  readonly breaker: OpossumBreaker;
  /**
   * The context of a fast-path first attempt (no signal), shared by every such call so it costs no
   * allocation.
   */
  readonly plainContext: AttemptContext = Object.freeze({ signal: undefined, attempt: 1 });
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
  /** Calls that found every target skipped and waited for this target's probe (panic routing). */
  joins = 0;
  /** Latency of recent attempts. */
  readonly latency = new LatencyWindow();
  /**
   * A time (`Date.now()`) at or before the target's last answer (a success, or a failure that is
   * an answer); 0 for none. The stall monitor reads it: a peer answering proves this process was
   * listening (stall-excuse.ts).
   */
  answeredAt = 0;
  /** Availability failures in a row, target-wide and per operation (fast ejection). */
  readonly #streaks = new FailureStreaks();
  /** The target's bulkhead, when the router has one. */
  readonly bulkhead: Bulkhead | undefined;
  /**
   * Until when (`Date.now()` time) the target is demoted: tried after the others because hedged
   * calls keep finding it much slower than another target. 0 when not demoted.
   */
  demotedUntil = 0;
  /** Hedge races (another target answered first while this one still ran). */
  readonly #races = new RaceRecord();
  #lastKind: FailureKind | undefined;
  #lastAt = 0;
  readonly #options: ResolvedBreaker;
  readonly #shared: HealthShared;
  /** The breaker's state: a union, as the status reports it. */
  #state: BreakerState = 'closed';
  /** The half-open probe is running. */
  #probing = false;
  /**
   * Whether the half-open state was entered early, by {@link TargetHealth.probeEarly}: `'none'`
   * (not early), `'reserved'` (the early probe belongs to the call that asked for it,
   * `probeEarly(now, true)`, until it fires or gives it back with
   * {@link TargetHealth.releaseEarly}: another call finds the target closed to it in between; two
   * concurrent calls in panic were both let through, found by the router's property test) or
   * `'free'` (the next call admitted sends it, or it is in flight).
   */
  #early: 'none' | 'reserved' | 'free' = 'none';
  /** The open state's periods and its one timer (open-period.ts). */
  readonly #period: OpenPeriod;
  /** Set while this class opens or closes opossum itself (its events are then not transitions). */
  #quiet = false;
  /** The next opening was asked for by {@link TargetHealth.trip}. */
  #remote: { reason: string | undefined } | undefined;
  /** The next opening was asked for by {@link TargetHealth.eject}, for this reason. */
  #localReason: string | undefined;
  /** The filter just let an error through as "not a failure": opossum's next 'success' is not one. */
  #filtered = false;
  /** ... and it was neither an outage nor an answer (cancelled, or a local stall). */
  #neutral = false;
  /** The kind the filter gave the last failure; read synchronously by the fallback. */
  #filterKind: FailureKind = 'unknown';
  #openError: BreakerOpenError | undefined;
  #probeWaiters: (() => void)[] | undefined;

  constructor(
    target: T & { readonly name: string },
    index: number,
    breaker: ResolvedBreaker,
    shared: HealthShared,
    bulkhead?: Required<BulkheadOptions>,
  ) {
    this.bulkhead =
      bulkhead === undefined ? undefined : new Bulkhead(bulkhead.maxConcurrent, bulkhead.maxQueue);
    this.target = target;
    this.name = target.name;
    this.index = index;
    this.#shared = shared;
    this.#options = breaker;
    this.#period = new OpenPeriod(breaker.resetTimeoutMs, breaker.maxResetTimeoutMs, () =>
      this.#halfOpenDue(),
    );
    this.failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
    shared.stalls.watch(this);
    this.breaker = createOpossum(target.name, breaker, {
      action: this.#action,
      filter: this.#filter,
      fallback: this.#fallback,
      success: (latencyMs) => this.#succeeded(latencyMs),
      failure: (latencyMs) => this.latency.record(latencyMs),
      // opossum opened on its error rate (or by `open()` below).
      open: () => {
        if (!this.#quiet) this.#open(this.#period.next);
      },
      // Out of reach (24 days), but if it ever comes: stay open, this class decides.
      halfOpen: () => {
        if (this.#state !== 'closed') this.#quietly(() => this.breaker.open());
      },
    });
  }

  /** opossum's 'success': an attempt succeeded, or failed with an error that is not a failure. */
  #succeeded(latencyMs: number): void {
    if (this.#neutral) {
      // Cancelled, or cut by a local stall: proves nothing either way.
      this.#neutral = false;
      this.#filtered = false;
      return;
    }
    this.latency.record(latencyMs);
    this.answeredAt = this.#shared.stalls.lastLook;
    if (this.#filtered) {
      this.#filtered = false;
    } else {
      this.successes++;
      const budget = this.#shared.budget;
      if (budget !== undefined && budget.tokens < budget.capacity) budget.refund(budget.successRefund);
    }
    this.#streaks.answered();
    if (this.#state === 'halfOpen') this.#close(false);
  }

  /**
   * True when a call may go to this target now: closed, or half-open with the probe slot free and
   * the router's `probeGate` allowing it (a refusal keeps the target open for another period).
   */
  admits(): boolean {
    const state = this.#state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#probing) return false;
    // An early probe (panic routing's last resort) does not ask the gate; one reserved by the call
    // that asked for it is that call's.
    if (this.#early !== 'none') return this.#early === 'free';
    const gate = this.#options.probeGate;
    if (gate === undefined || this.#askGate(gate)) return true;
    // Not now (another instance has the probe): open again, which is not a failed probe (the
    // period keeps its length), but asked again after GATE_RETRY_MS if that is sooner. If the
    // other instance's probe closes the target, its word closes this one; if it sends none (it
    // has no traffic for this target, or was killed), this router's turn comes a second later,
    // not a whole period (up to `maxResetTimeoutMs`) later.
    const period = this.#period.current;
    this.#open(period, true);
    if (GATE_RETRY_MS < period) {
      const now = Date.now();
      this.#period.endAt(now + GATE_RETRY_MS, now);
    }
    return false;
  }

  /** A call skipped this target (its breaker is open): counted, and announced as 'rejected'. */
  skipped(): void {
    this.rejections++;
    const events = this.#shared.events;
    if (events.has('rejected')) events.emit('rejected', { target: this.name });
  }

  /**
   * Panic routing's last resort: a call that has no other target left lets its attempt through
   * this open target as its probe, before the reset period ends and without asking the probe gate
   * (a fleet's probe lease held by an instance that was killed would otherwise keep every instance
   * out until it expires, while the cloud is back). Only when no probe runs and the target's last
   * failure is at least {@link EARLY_PROBE_AFTER_MS} old. A success closes the breaker as a probe
   * does; a failure changes nothing: the breaker is open as before, until the end of the same
   * period (announced by no event). Returns whether the call may go.
   */
  probeEarly(now: number = Date.now(), reserve = false): boolean {
    if (this.#state !== 'open' || this.#probing) return false;
    if (now - this.#lastAt < EARLY_PROBE_AFTER_MS) return false;
    this.#period.interrupt(now);
    this.#state = 'halfOpen';
    this.#early = reserve ? 'reserved' : 'free';
    this.#quietly(() => this.breaker.close());
    return true;
  }

  /**
   * Gives back an early probe reserved by a call that will not send it after all (its bulkhead was
   * full, or it ended meanwhile): the next call admitted is the probe. A no-op otherwise.
   */
  releaseEarly(): void {
    if (this.#early !== 'reserved') return;
    this.#early = 'free';
    // Calls that joined it go on: the next one admitted sends the probe.
    this.#wakeWaiters();
  }

  /** Whether the breaker is half-open with its probe free, without asking the probe gate. */
  get probeFree(): boolean {
    return this.#state === 'halfOpen' && !this.#probing;
  }

  /**
   * Runs one attempt through the breaker. Call only right after {@link TargetHealth.admits} said
   * yes: on a half-open target this attempt is the probe.
   */
  fire(
    fn: AnyOperation,
    context: AttemptContext,
    attempt: Attempt | undefined,
    operation?: string,
  ): Promise<unknown> {
    if (this.#state !== 'closed') this.#probing = true;
    if (this.#early === 'reserved') this.#early = 'free';
    return operation === undefined
      ? this.breaker.fire(fn, this.target, context, attempt)
      : this.breaker.fire(fn, this.target, context, attempt, operation);
  }

  /**
   * The outcome of work on this target that ended after its attempt did (a download body that
   * failed or completed after the operation returned): `error` undefined for a success. A failure
   * of an availability kind counts like a failed attempt in the consecutive-failure streaks
   * (ejection.ts), the failure counts and `lastFailure`, not in opossum's rolling error rate (no
   * attempt ran); it opens the breaker when a trigger fires while it is closed (while open or
   * half-open the breaker's own period and probe decide). A success ends the streaks (the
   * operation's included). Any other kind (cancelled: the reader stopped; an answer) changes no
   * streak.
   */
  report(error: unknown, operation: string | undefined): void {
    if (error === undefined) {
      this.#streaks.answered(operation);
      return;
    }
    const kind = classifyFailure(error, this.#shared.classify as Classifier | undefined);
    this.failures[kind]++;
    if (!isAvailabilityKind(kind)) return;
    this.#lastKind = kind;
    this.#lastAt = Date.now();
    if (this.#state === 'closed') this.#countFailure(error, operation, kind);
    else if (operation !== undefined) this.#streaks.countOperation(operation);
  }

  /**
   * A hedged call was answered by `winner` while this target (the call's first) still ran (see
   * `RaceRecord.lost` for which races count). After `LOST_RACES_TO_DEMOTE` counted races in a row
   * the target is demoted for one reset period; returns the new `demotedUntil` then, else 0.
   */
  lostRace(winner: LatencyWindow): number {
    if (!this.#races.lost(this.latency, winner)) return 0;
    this.demotedUntil = Date.now() + this.#options.resetTimeoutMs;
    return this.demotedUntil;
  }

  /** This target answered a call first: its losing streak ends. */
  wonRace(): void {
    this.#races.won();
  }

  /** True while the half-open probe runs. */
  get probing(): boolean {
    return this.#probing || this.#early === 'reserved';
  }

  /** Resolves when the running probe has settled (the breaker closed or opened again). */
  probeSettled(): Promise<void> {
    const waiters = this.#probeWaiters ?? [];
    this.#probeWaiters = waiters;
    return new Promise<void>((resolve) => {
      waiters.push(resolve);
    });
  }

  /** The breaker's state. */
  get state(): BreakerState {
    return this.#state;
  }

  /** When the target last failed with an availability kind (ms since the epoch; 0 for never). */
  get lastFailureAt(): number {
    return this.#lastAt;
  }

  /**
   * The error a skipped call records for this target: made once per opening (no stack per skip),
   * a `BreakerOpenError`.
   */
  get openError(): BreakerOpenError {
    let err = this.#openError;
    if (err === undefined) {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        err = new BreakerOpenError(this.name);
      } finally {
        Error.stackTraceLimit = limit;
      }
      this.#openError = err;
    }
    return err;
  }

  /**
   * Opens the breaker now on another instance's word; see `Failover.trip`. No-op when open, and
   * when it is the last closed target of several while `keepLastTarget` is on (the maximum
   * ejection share: another instance's failures may be its own, and this router's own failures
   * still eject the target).
   */
  trip(reason: string | undefined): void {
    if (this.#state === 'open') return;
    if (this.#options.keepLastTarget && this.#shared.lastClosed(this.name)) return;
    this.#remote = { reason };
    try {
      this.#lastAt = Date.now();
      this.#open(this.#period.next);
    } finally {
      this.#remote = undefined;
    }
  }

  /**
   * Opens the breaker now on this router's own evidence (a failure `kind` seen another way than an
   * attempt's error: requests that stay unanswered while the peers answer); see `Failover.eject`.
   * No-op when open, and for the last closed target under `keepLastTarget` (as fast ejection).
   */
  eject(kind: FailureKind, reason: string | undefined): void {
    if (this.#state === 'open' || !this.#mayEject(kind)) return;
    this.#localReason = reason;
    try {
      this.#lastKind = kind;
      this.#lastAt = Date.now();
      this.#open(this.#period.next);
    } finally {
      this.#localReason = undefined;
    }
  }

  /** Closes the breaker now on another instance's word; see `Failover.recover`. No-op when closed. */
  recover(): void {
    this.#streaks.clearOperations();
    if (this.#state !== 'closed') this.#close(true);
  }

  /**
   * The kind of a failed attempt's error (as the breaker filter classified it when it saw it).
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
      resetTimeoutMs: state === 'open' ? this.#period.current : this.#period.next,
      halfOpenAt: this.#period.halfOpenAt,
      demotedUntil: this.demotedUntil > Date.now() ? this.demotedUntil : undefined,
      bulkhead:
        this.bulkhead === undefined
          ? undefined
          : { inflight: this.bulkhead.inflight, queued: this.bulkhead.queued },
    };
  }

  /** Stops the breaker's timers. The target is unusable afterwards. */
  shutdown(): void {
    this.#period.stop();
    this.#wakeWaiters();
    this.breaker.shutdown();
  }

  #askGate(gate: (target: string) => boolean): boolean {
    try {
      return gate(this.name) !== false;
    } catch {
      return true; // a throwing gate must not keep a target out forever
    }
  }

  /** Wakes the calls waiting for the probe's outcome. */
  #wakeWaiters(): void {
    const waiters = this.#probeWaiters;
    if (waiters === undefined) return;
    this.#probeWaiters = undefined;
    for (const wake of waiters) wake();
  }

  /** Enters (or stays in) the open state for `ms`, opening opossum too. */
  #open(ms: number, silent = false): void {
    const wasOpen = this.#state === 'open';
    this.#wakeWaiters();
    this.#state = 'open';
    this.#probing = false;
    this.#early = 'none';
    this.#period.begin(ms);
    this.#openError = undefined;
    this.#streaks.restart();
    if (!this.breaker.opened) this.#quietly(() => this.breaker.open());
    if (silent || wasOpen) return;
    const events = this.#shared.events;
    if (events.has('open')) {
      const remote = this.#remote;
      events.emit(
        'open',
        remote === undefined
          ? {
              target: this.name,
              kind: this.#lastKind,
              resetTimeoutMs: ms,
              remote: false,
              ...(this.#localReason === undefined ? {} : { reason: this.#localReason }),
            }
          : { target: this.name, kind: undefined, resetTimeoutMs: ms, remote: true, reason: remote.reason },
      );
    }
  }

  /** Back to the open period an early probe interrupted (it failed): no event, same end. */
  #reopenAfterEarly(): void {
    this.#wakeWaiters();
    this.#state = 'open';
    this.#probing = false;
    this.#early = 'none';
    this.#period.resume();
    if (!this.breaker.opened) this.#quietly(() => this.breaker.open());
  }

  /** The open period ended: half-open, the probe slot free. */
  #halfOpenDue(): void {
    if (this.#state !== 'open') return;
    this.#state = 'halfOpen';
    this.#probing = false;
    this.#early = 'none';
    // opossum lets calls through again; this class admits only the probe.
    this.#quietly(() => this.breaker.close());
    const events = this.#shared.events;
    if (events.has('halfOpen')) {
      events.emit('halfOpen', { target: this.name, resetTimeoutMs: this.#period.current });
    }
  }

  #close(remote: boolean): void {
    this.#wakeWaiters();
    this.#state = 'closed';
    this.#probing = false;
    this.#early = 'none';
    this.#period.reset();
    this.#streaks.restart();
    if (!this.breaker.closed) this.#quietly(() => this.breaker.close());
    const events = this.#shared.events;
    if (events.has('close')) events.emit('close', { target: this.name, remote });
  }

  #quietly(fn: () => void): void {
    const quiet = this.#quiet;
    this.#quiet = true;
    try {
      fn();
    } finally {
      this.#quiet = quiet;
    }
  }

  #classify(err: unknown, context: AttemptContext, attempt: Attempt | undefined): FailureKind {
    if (attempt !== undefined) {
      if (attempt.abortKind !== undefined) return attempt.abortKind;
    } else if (context.signal?.aborted) {
      // A plain attempt's signal is the caller's own: the caller cancelled.
      return 'aborted';
    }
    return classifyFailure(err, this.#shared.classify as Classifier | undefined);
  }

  /**
   * Fast ejection (ejection.ts) after one more availability failure while closed: failures in a
   * row, fewer when they prove the target unreachable, and the failing operation's own streak.
   */
  #countFailure(err: unknown, operation: string | undefined, kind: FailureKind): void {
    const trigger = this.#streaks.count(failedBeforeSending(err), operation, this.#options);
    if (trigger !== undefined && this.#mayEject(kind)) this.#open(this.#period.next);
  }

  /**
   * The breaker's action (see {@link breakerAction}); a success of a call that names its operation
   * also ends that operation's streak.
   */
  readonly #action = (
    fn: AnyOperation,
    target: unknown,
    context: AttemptContext,
    attempt?: Attempt,
    operation?: string,
  ): Promise<unknown> => {
    const done = breakerAction(fn, target, context, attempt);
    if (operation === undefined) return done;
    return Promise.resolve(done).then((value) => {
      this.#streaks.endOperation(operation);
      return value;
    });
  };

  /**
   * The maximum ejection share (`breaker.keepLastTarget`): fast ejection spares the last of
   * several targets with a closed breaker when its failures got no answer (`timeout`, `network`),
   * which may be this process's own. A router of one target ejects it (as Envoy always ejects at
   * least one host). The streaks keep counting, so it is ejected at the next failure once another
   * target is back.
   */
  #mayEject(kind: FailureKind): boolean {
    if (!this.#options.keepLastTarget) return true;
    if (kind !== 'timeout' && kind !== 'network') return true;
    return !this.#shared.lastClosed(this.name);
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
    if (
      kind === 'timeout' &&
      attempt !== undefined &&
      attempt.abortKind === undefined &&
      attempt.startedAt >= 0 &&
      this.#shared.stalls.explainsFailure(attempt.startedAt, this.name)
    ) {
      attempt.localStall = true;
    }
    if (attempt !== undefined) attempt.kind = kind;
    else if (typeof err === 'object' && err !== null) this.#shared.kinds.set(err, kind);
    const operation = args[4] as string | undefined;
    const v = decideFailure({
      kind,
      localStall: attempt?.localStall === true,
      state: this.#state,
      early: this.#early !== 'none',
      operation: operation !== undefined,
    });
    if (v.recordLast) {
      this.#lastKind = kind;
      this.#lastAt = Date.now();
    }
    if (v.endsOperationStreak && operation !== undefined) this.#streaks.endOperation(operation);
    if (v.move === 'reopen-early') this.#reopenAfterEarly();
    else if (v.move === 'open-doubled') this.#open(this.#period.next);
    else if (v.move === 'open-same') this.#open(this.#period.current);
    else if (v.move === 'count') this.#countFailure(err, operation, kind);
    if (v.failure) return false;
    this.#filtered = true;
    if (v.neutral) this.#neutral = true;
    return true;
  };

  /**
   * opossum's fallback, called synchronously after the filter for every failure that counts
   * against the breaker, with the breaker's arguments (four, or five with an operation) and then
   * the error: the error is the last argument. A lead attempt (an attempt with a plan) continues
   * its call with failover and retries; any other attempt gets its error back as a rejection.
   */
  readonly #fallback = (...args: unknown[]): Promise<unknown> => {
    const attempt = args[3] as Attempt | undefined;
    const err = args[args.length - 1];
    const lead = attempt ?? (args[2] as Partial<LeadContext>);
    if (lead.plan !== undefined) {
      return this.#shared.resume(
        this,
        args[0] as AnyOperation,
        lead as Attempt | LeadContext,
        err,
        this.#filterKind,
      );
    }
    return Promise.reject(err);
  };
}
