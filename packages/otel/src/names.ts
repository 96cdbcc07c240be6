/**
 * Metric and attribute names, in OpenTelemetry semantic-convention style: a `failover.` namespace,
 * dotted lower-case names, units in UCUM (`s`, `{call}`...), counters named for what they count.
 * The table in docs/observability.md lists every one with its instrument and attributes.
 */
export const METRICS = Object.freeze({
  /** Attempts per target, by outcome and failure kind (cumulative, read from `status()`). */
  attempts: 'failover.attempts',
  /** Calls skipped on a target because its breaker was open (cumulative). */
  rejections: 'failover.rejections',
  /** Retries made on a target (cumulative). */
  retries: 'failover.retries',
  /** Hedged attempts started on a target (cumulative). */
  hedges: 'failover.hedges',
  /** Calls that moved from one target to another. */
  failovers: 'failover.failovers',
  /** 1 for the breaker's current state, 0 for the others, per target. */
  breakerState: 'failover.breaker.state',
  /** Breaker state changes (to `open`, `half_open`, `closed`). */
  breakerTransitions: 'failover.breaker.transitions',
  /** Tokens in the retry budget. */
  budgetTokens: 'failover.retry_budget.tokens',
  /** Size of the retry budget. */
  budgetLimit: 'failover.retry_budget.limit',
  /** Calls sent to a target although every breaker was open (panic routing). */
  panics: 'failover.panics',
  /** Retries (or hedges) the retry budget refused. */
  budgetExhausted: 'failover.retry_budget.exhausted',
  /** Logical calls, by outcome (needs the call observer). */
  calls: 'failover.calls',
  /** Duration of logical calls (needs the call observer). */
  callDuration: 'failover.call.duration',
  /** Duration of single attempts per target (needs the call observer). */
  attemptDuration: 'failover.attempt.duration',
  /** (entry, target) pairs the journal still has to repair. */
  journalBacklog: 'failover.storage.journal.backlog',
  /** Keys with a write some target still lacks. */
  journalPendingKeys: 'failover.storage.journal.pending_keys',
  /** Age of the oldest pending journal entry (0 when none). */
  journalOldestAge: 'failover.storage.journal.oldest_pending.age',
  /** Journal pairs a target still lacks. */
  targetBehind: 'failover.storage.target.behind',
  /** Writes recorded in the journal because a target lacked them. */
  journaled: 'failover.storage.journaled',
  /** Copies and deletes made by repair and reconcile. */
  repairs: 'failover.storage.repairs',
  /** Repair passes finished. */
  repairPasses: 'failover.storage.repair.passes',
  /** Pairs a repair pass could not fix. */
  repairFailures: 'failover.storage.repair.failures',
  /** Newer versions found on a target by repair or reconcile (left alone). */
  conflicts: 'failover.storage.conflicts',
  /** Copies whose bytes did not match their SHA-256. */
  integrityErrors: 'failover.storage.integrity_errors',
  /** Acknowledged writes a target lost (the durability work's `lost` event). */
  lost: 'failover.storage.lost',
  /** Targets a drill checked, by result. */
  drills: 'failover.storage.drills',
  /** Duration of one target's drill. */
  drillDuration: 'failover.storage.drill.duration',
});

/** Attribute keys. Values are target and store names, kinds and states: never keys, bodies or URLs. */
export const ATTR = Object.freeze({
  /** The router's (or multi-cloud store's) name. */
  router: 'failover.router',
  /** A target's name. */
  target: 'failover.target',
  /** The target a call failed over from. */
  from: 'failover.from',
  /** The target a call failed over to. */
  to: 'failover.to',
  /** A `FailureKind` (`unavailable`, `timeout`, `network`, `throttled`, `not_found`...). */
  kind: 'failover.failure.kind',
  /** `success` or `failure`. */
  outcome: 'failover.outcome',
  /** A breaker state: `closed`, `open` or `half_open`. */
  state: 'failover.breaker.state',
  /** `true` when a breaker was opened or closed by another instance (fleet mode: `trip`/`recover`). */
  remote: 'failover.breaker.remote',
  /** `put` or `delete` (journal and repair). */
  op: 'failover.storage.op',
  /** `repair` or `reconcile`. */
  during: 'failover.storage.during',
  /** The drill step that failed. */
  step: 'failover.storage.drill.step',
  /** The attempt's number on its target, from 1. */
  attempt: 'failover.attempt',
  /** The number of attempts a call made. */
  attempts: 'failover.attempts',
  /** `true` when an attempt was a hedge. */
  hedge: 'failover.hedge',
});

/** Breaker states as attribute values (OTel style: snake_case). */
export const BREAKER_STATES = Object.freeze(['closed', 'open', 'half_open'] as const);

/** A breaker state as an attribute value. */
export type BreakerStateValue = (typeof BREAKER_STATES)[number];
