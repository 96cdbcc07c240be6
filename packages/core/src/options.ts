import type { Classifier } from './classify.js';
import type { CallObserver } from './observer.js';

/** Anything a call can be routed to: a cloud, a region, a base URL. Extra user fields are kept. */
export interface FailoverTarget {
  /** A unique, non-empty name (e.g. `aws-us-east-1`); used in events, status and errors. */
  readonly name: string;
}

/** How a retry delay is randomised; see {@link backoffDelay}. */
export type Jitter = 'full' | 'decorrelated' | 'none';

/** Circuit breaker settings, one breaker per target (opossum 9 underneath). */
export interface BreakerOptions {
  /**
   * The breaker opens when more than this percentage of the calls in the rolling window failed
   * with an availability kind. Default 50; a number from 1 to 100.
   */
  errorThresholdPercentage?: number;
  /** Calls needed in the rolling window before the breaker may open. Default 5; 0 to 1000000. */
  volumeThreshold?: number;
  /** Length of the rolling statistics window in ms (10 buckets). Default 10000; 100 to 3600000. */
  rollingWindowMs?: number;
  /** How long an open breaker waits before it lets one probe through. Default 10000; 1 to 86400000. */
  resetTimeoutMs?: number;
  /**
   * Each re-open without a success in between doubles the reset timeout, up to this bound.
   * Default the larger of 300000 and `resetTimeoutMs`; from `resetTimeoutMs` to 86400000.
   */
  maxResetTimeoutMs?: number;
  /**
   * Fast ejection: the breaker also opens after this many availability failures in a row on the
   * target (like Envoy's outlier detection, which ejects after 5 consecutive 5xx or connect
   * failures), whatever the rolling window holds. Any success or answer resets the count; attempts
   * cut by this process's own event-loop stall do not count. Default 5; 0 switches it off; up to
   * 1000.
   */
  consecutiveFailures?: number;
  /**
   * Faster ejection for a target that cannot be reached at all: the breaker opens after this many
   * failures in a row that prove the request never left (connection refused, name not resolved,
   * connect or TLS handshake timed out or failed: see `failedBeforeSending`), like Envoy's
   * consecutive local-origin failures. Such a failure is no busy server's answer but proof that
   * the target is unreachable from here, and failing over from it costs the caller nothing, so two
   * are enough; one more blip is tolerated. Any other availability failure, success or answer in
   * between starts the count again. Default the smaller of 2 and `consecutiveFailures` (so
   * `consecutiveFailures: 0` switches both triggers off unless this one is given); 0 switches it
   * off; up to 1000.
   */
  consecutiveConnectFailures?: number;
  /**
   * Ejection of a target that fails one operation while it serves the others: the breaker opens
   * after this many availability failures in a row of calls naming the same `operation`
   * (`RunOptions.operation`, or failures reported with {@link Failover.report}), when some other
   * call succeeded on the target meanwhile (else `consecutiveFailures` decides, as for any
   * failures in a row). Calls of other operations neither extend nor end an operation's streak,
   * so a cloud whose downloads are cut while its uploads pass is left: its `consecutiveFailures`
   * streak never grows past 1 there. Only calls that name an operation take part. Default the
   * smaller of 2 and `consecutiveFailures`; 0 switches it off; up to 1000. See ejection.ts.
   */
  consecutiveOperationFailures?: number;
  /**
   * A maximum ejection share, like Envoy's `max_ejection_percent`: while `true`, the two
   * consecutive-failure triggers above (and the operation trigger) never open the breaker of the last of several targets whose
   * breaker is closed when the failures got no answer from it (`timeout`, `network`). When
   * every other target is already out and this one stops answering too, the cause may well be this
   * process's own (its network, DNS resolver, CPU); ejecting it would make every call fail in a
   * millisecond without reaching anything, while keeping it lets calls still try and succeed the
   * moment the path is back. Remote trips (`Failover.trip`: another instance's failures may
   * be that instance's own) and ejections by judgement (`Failover.eject` of a `timeout` or
   * `network` kind) spare it too. Answers (`unavailable`, `throttled`: a 5xx, a 429) still eject
   * it, as does the error-rate trigger (`errorThresholdPercentage` over `volumeThreshold` calls),
   * and fast ejection once another target is closed again. A router of a single target is
   * ejected as before (Envoy too ejects at least one host). Default `true`; `false` lets fast
   * ejection open every breaker.
   */
  keepLastTarget?: boolean;
  /**
   * Asked, synchronously, each time a half-open breaker would let its probe through: return
   * `false` to keep the target skipped for one more reset period (the period is not doubled).
   * Fleets use it so that one instance probes a recovering cloud for all of them. A gate that
   * throws allows the probe. Default: always allow.
   */
  probeGate?: (target: string) => boolean;
}

/** Retry settings. Retries are per target: a call may make `maxAttempts` attempts on each target. */
export interface RetryOptions {
  /** Attempts per target, the first one included. Default 2 (3 for {@link wrap}); 1 to 10. */
  maxAttempts?: number;
  /** Backoff base: the first retry waits up to this long. Default 100; 0 to 60000. */
  baseDelayMs?: number;
  /** Upper bound of one backoff delay. Default the larger of 2000 and `baseDelayMs`; up to 300000. */
  maxDelayMs?: number;
  /** Jitter: `full` (default), `decorrelated` or `none`. */
  jitter?: Jitter;
}

/**
 * A retry budget shared by every call of one router: a token bucket, like the AWS SDK's retry
 * quota. A retry (and a hedge) takes tokens; each success puts some back. When the bucket cannot pay,
 * the call stops retrying the same target but still fails over to the next one.
 */
export interface BudgetOptions {
  /** Size of the bucket, which starts full. Default 500; 1 to 1000000. */
  capacity?: number;
  /** Tokens a retry (or a hedge) takes. Default 5; 0 to `capacity`. */
  retryCost?: number;
  /** Tokens a retry after a timeout takes. Default 10; 0 to `capacity`. */
  timeoutCost?: number;
  /** Tokens every successful attempt puts back. Default 1; 0 to `capacity`. */
  successRefund?: number;
}

/** Hedging: when an attempt has not answered after `afterMs`, start the same call on the next target. */
export interface HedgeOptions {
  /**
   * Wait this long (ms, 1 to 2147483647) for an answer before hedging, or `'auto'`: after the
   * target's observed tail latency (its p95, at least {@link HEDGE_AUTO}.minMs), or sooner when
   * another healthy target is known to answer much faster; see docs/core.md.
   */
  afterMs: number | 'auto';
  /** At most this many hedged attempts per call. Default 1; 1 to 10. */
  maxHedges?: number;
}

/** Options of {@link createFailover}. Invalid values throw an `InvalidOptionError` at construction. */
export interface FailoverOptions<T extends FailoverTarget = FailoverTarget> {
  /** The targets, in order of preference. At least one; names unique and non-empty. */
  targets: readonly T[];
  /** Breaker settings, applied to every target. */
  breaker?: BreakerOptions;
  /** Retry settings, per target. */
  retry?: RetryOptions;
  /** The shared retry budget, or `false` for none. Default: a budget with the default settings. */
  budget?: BudgetOptions | false;
  /**
   * Time limit of one attempt in ms (a `timeout` failure), or `false` for none. Default 10000
   * (opossum's own default), so that no call can hang; 1 to 2147483647. Time this process spent
   * blocked (an event-loop stall) is not held against an attempt.
   */
  attemptTimeoutMs?: number | false;
  /**
   * Hedging for idempotent calls, or `false`. Default `{ afterMs: 'auto', maxHedges: 1 }`:
   * adaptive hedging, paid from the retry budget.
   */
  hedge?: HedgeOptions | false;
  /**
   * At most this many attempts in flight per target, and how many calls may wait for a slot,
   * or `false` (the default): no limit.
   */
  bulkhead?: BulkheadOptions | false;
  /**
   * Instrumentation: told when each call and each attempt starts and ends (for tracing spans and
   * metrics; see {@link CallObserver}). Default none, which costs nothing.
   */
  observer?: CallObserver;
  /**
   * Your own classifier, asked before the registered provider classifiers and the built-in
   * rules; return `undefined` to let them decide. See `classifyFailure`.
   */
  classify?: Classifier;
}

/** A per-target concurrency limit (a bulkhead), so a browning-out target cannot tie up every socket. */
export interface BulkheadOptions {
  /** Attempts in flight on one target at most. 1 to 1000000. */
  maxConcurrent: number;
  /**
   * Calls that may wait for a slot on one target; one more fails over (or rejects with a
   * `BulkheadFullError` when no other target can take it). Default 0; 0 to 1000000.
   */
  maxQueue?: number;
}

/** Options of one call. */
export interface RunOptions {
  /**
   * True when the operation may safely run more than once (reads, puts of a whole object, requests
   * with an idempotency key). Default `false`: the call is then never replayed after it may have
   * reached a server, on the same target or another, and never hedged.
   */
  idempotent?: boolean;
  /**
   * `false` when the operation can run only once at all, whatever the failure, e.g. a request whose
   * body is a stream the first attempt consumes. The call then makes exactly one attempt, on the
   * first target whose breaker admits it: no retry, no failover (not even after a connection
   * refused), no hedge; a failure is rethrown unchanged (it still counts against that target's
   * breaker), and when every breaker is open the call rejects with an `AllTargetsFailedError`.
   * Wins over `idempotent`. Default `true`.
   */
  replayable?: boolean;
  /** Time limit of the whole call in ms, retries and failover included. Default none. */
  deadlineMs?: number;
  /** Cancels the call. An aborted call stops at once and rejects with an `AbortedError`. */
  signal?: AbortSignal;
  /** Overrides the router's `attemptTimeoutMs` for this call; `false` for no attempt limit. */
  attemptTimeoutMs?: number | false;
  /** Overrides the router's `hedge` for this call (idempotent calls only). */
  hedge?: HedgeOptions | false;
  /**
   * Attempts per target for this call, the first one included: overrides the router's
   * `retry.maxAttempts` (1 for none but the first, e.g. a copy that something else completes
   * later). An integer from 1 to 10.
   */
  maxAttempts?: number;
  /** Names of the targets to use for this call, in this order. Default: every target, in order. */
  targets?: readonly string[];
  /**
   * What the call does (`'get'`, `'put'`...: any short name the caller picks): the breaker keeps
   * a streak of failures in a row per operation besides its streak of any failures, so a target
   * that fails every call of one operation while it serves the others is left (see
   * `breaker.consecutiveOperationFailures`). Default none: the call takes part in the target's
   * other streaks only.
   */
  operation?: string;
  /**
   * Releases the value of an attempt that succeeded after its call had ended (e.g. closes a
   * response body). Given it, a half-open breaker's probe that loses a hedge race is left to finish
   * instead of being cancelled: its answer then closes (or its failure reopens) the breaker, where
   * a cancelled probe proves nothing, and a recovering target slower than the hedge delay would
   * lose every race and never be let back in by reads alone. Default none: losers are cancelled.
   */
  dispose?: (value: unknown) => void;
}

/** The breaker settings a router actually uses (`probeGate` stays optional). */
export type ResolvedBreaker = Required<Omit<BreakerOptions, 'probeGate'>> & Pick<BreakerOptions, 'probeGate'>;

/** The settings a router actually uses, every default filled in. */
export interface ResolvedOptions {
  readonly breaker: ResolvedBreaker;
  readonly retry: Required<RetryOptions>;
  readonly budget: Required<BudgetOptions> | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly hedge: Required<HedgeOptions> | undefined;
  readonly bulkhead: Required<BulkheadOptions> | undefined;
  readonly classify: Classifier | undefined;
  readonly observer: CallObserver | undefined;
}

/** A resolved hedge setting. @internal */
export type HedgePolicy = Required<HedgeOptions>;

/**
 * The bounds of adaptive hedging (`hedge: { afterMs: 'auto' }`): never sooner than `minMs`, never
 * later than `maxMs`; a target's own tail latency counts from `minSamples` recorded attempts on
 * (before that: `coldMs` while it has answered nothing, twice the tail of what it answered, within
 * [`coldMs`, `maxMs`], until it has `minSamples`), another target's median from `otherSamples` on; while another target is
 * unknown, one call in `exploreEvery` hedges after `minMs` to learn it; each exploration that
 * taught nothing (its hedge lost the race, so no latency was recorded) doubles that interval, up
 * to `exploreMaxEvery` calls. A target counts as slow against another (hedged early for it, and
 * demoted by the races it loses to it) when its median is above `slowerFactor` times the other's.
 */
export const HEDGE_AUTO = Object.freeze({
  minMs: 20,
  maxMs: 2_000,
  minSamples: 8,
  otherSamples: 3,
  exploreEvery: 8,
  exploreMaxEvery: 1024,
  slowerFactor: 3,
  coldMs: 250,
});

/** The default settings, for documentation and tests. */
export const DEFAULTS = Object.freeze({
  breaker: Object.freeze({
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 10_000,
    maxResetTimeoutMs: 300_000,
    consecutiveFailures: 5,
    consecutiveConnectFailures: 2,
    consecutiveOperationFailures: 2,
    keepLastTarget: true,
  }),
  retry: Object.freeze({ maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 2_000, jitter: 'full' as Jitter }),
  budget: Object.freeze({ capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 }),
  hedge: Object.freeze({ afterMs: 'auto' as const, maxHedges: 1 }),
  attemptTimeoutMs: 10_000,
});

/** The largest delay `setTimeout` accepts. */
export const MAX_TIMER_MS = 2_147_483_647;
