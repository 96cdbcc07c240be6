import type { BreakerState, TargetStatus } from '@failover/core';
import type { FaultProxy } from '@failover/testkit';
import type { ProxyId } from '../scenarios/types.js';
import type { AppError, OpKind, OpOutcome } from '../workload/traffic.js';
import { LANES, type Lane, laneOf } from './lanes.js';

/** One lane in one time bucket. */
export interface LaneBucket {
  /** Operations (storage or API calls) this lane served. */
  served: number;
  /** HTTP requests that reached its proxy (the real traffic: retries, probes and repair included). */
  requests: number;
  /** Failed attempts the library saw on it (availability kinds: unavailable, timeout, network, throttled). */
  failures: number;
  /** Its breaker at the end of the bucket, or `open` if it opened during the bucket. */
  breaker: BreakerState;
}

/** One time bucket of the run. */
export interface Bucket {
  /** Start, in ms since the traffic started. */
  readonly startMs: number;
  /** The phase (index) in force at the start of the bucket. */
  readonly phase: number;
  /** Operations the application finished in the bucket. */
  ops: number;
  /** Operations that failed, as the application saw them. */
  appErrors: number;
  /** Journal backlog at the end of the bucket. */
  backlog: number;
  /** Copies made by repair so far (cumulative). */
  repaired: number;
  readonly lanes: Record<string, LaneBucket>;
}

/** A breaker changing state, or another event worth a line on the dashboard. */
export interface TimelineEvent {
  readonly atMs: number;
  readonly lane: string;
  readonly what: 'open' | 'halfOpen' | 'close';
}

/** Where the recorder reads the library's counters. */
export interface MetricSources {
  readonly proxies: Readonly<Record<ProxyId, FaultProxy>>;
  /** The multi-cloud store's and the pricing client's router status, per target. */
  storageStatus(): readonly TargetStatus[];
  apiStatus(): readonly TargetStatus[];
  /** The journal backlog and the copies repair made so far. */
  journal(): { backlog: number; repaired: number; journaled: number };
}

/** The latest values, for the dashboard. */
export interface LiveView {
  readonly elapsedMs: number;
  readonly phase: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly appErrors: number;
  readonly backlog: number;
  readonly journaled: number;
  readonly repaired: number;
  readonly lanes: readonly {
    readonly lane: Lane;
    readonly breaker: BreakerState;
    readonly requestsPerSec: number;
    readonly servedPerSec: number;
    readonly failures: number;
    readonly served: number;
  }[];
}

const AVAILABILITY = ['unavailable', 'timeout', 'network', 'throttled'] as const;

const failuresOf = (s: TargetStatus): number => AVAILABILITY.reduce((n, k) => n + (s.failures[k] ?? 0), 0);

/**
 * Per-lane time series of the run, in fixed buckets: traffic served, requests reaching each
 * cloud, failures the library saw, breaker state, plus the application's operations and errors
 * and the journal backlog. Call {@link MetricsRecorder.sample} once per bucket.
 */
export class MetricsRecorder {
  readonly bucketMs: number;
  readonly buckets: Bucket[] = [];
  readonly events: TimelineEvent[] = [];
  readonly errors: AppError[] = [];
  /** Every storage call served, with its time (ms since the traffic started) and target. */
  readonly storageServed: { readonly atMs: number; readonly target: string }[] = [];
  /** Operations finished, per kind. */
  readonly opCounts = new Map<OpKind, number>();
  readonly #sources: MetricSources;
  readonly #started: number;
  readonly #lastRequests = new Map<string, number>();
  readonly #lastFailures = new Map<string, number>();
  readonly #totals = new Map<string, { served: number; failures: number }>();
  #current: Bucket;
  #ops = 0;
  #phase = 0;

  constructor(sources: MetricSources, bucketMs: number, started: number) {
    this.#sources = sources;
    this.bucketMs = bucketMs;
    this.#started = started;
    for (const lane of LANES) {
      this.#lastRequests.set(lane.id, sources.proxies[lane.proxy].counts.total);
      this.#lastFailures.set(lane.id, 0);
      this.#totals.set(lane.id, { served: 0, failures: 0 });
    }
    this.#current = this.#newBucket(0);
  }

  /** ms since the traffic started. */
  now(): number {
    return Date.now() - this.#started;
  }

  /** The phase now in force (set by the scenario player). */
  setPhase(index: number): void {
    this.#phase = index;
  }

  /** Counts a finished operation: its served calls per lane, and its error if it failed. */
  recordOutcome(outcome: OpOutcome): void {
    this.#ops++;
    this.#current.ops++;
    this.opCounts.set(outcome.op, (this.opCounts.get(outcome.op) ?? 0) + 1);
    for (const target of outcome.trace.storage) {
      this.#served('storage', target);
      this.storageServed.push({ atMs: outcome.endedMs, target });
    }
    for (const endpoint of outcome.trace.api) this.#served('api', endpoint);
    if (outcome.error !== undefined) {
      this.#current.appErrors++;
      this.errors.push(outcome.error);
    }
  }

  /** A breaker event of the store's or the pricing client's router. */
  recordBreaker(group: Lane['group'], target: string, what: TimelineEvent['what']): void {
    const lane = laneOf(group, target);
    if (lane === undefined) return;
    this.events.push({ atMs: this.now(), lane: lane.id, what });
    const b = this.#current.lanes[lane.id];
    if (b !== undefined && what === 'open') b.breaker = 'open';
  }

  /** Closes the current bucket with the counters read now, and opens the next one. */
  sample(): void {
    const bucket = this.#current;
    const status = new Map<string, TargetStatus>();
    for (const s of this.#sources.storageStatus()) status.set(`storage:${s.name}`, s);
    for (const s of this.#sources.apiStatus()) status.set(`api:${s.name}`, s);
    for (const lane of LANES) {
      const b = bucket.lanes[lane.id]!;
      const total = this.#sources.proxies[lane.proxy].counts.total;
      b.requests = Math.max(0, total - (this.#lastRequests.get(lane.id) ?? 0));
      this.#lastRequests.set(lane.id, total);
      const s = status.get(lane.id);
      if (s !== undefined) {
        const f = failuresOf(s);
        b.failures = Math.max(0, f - (this.#lastFailures.get(lane.id) ?? 0));
        this.#lastFailures.set(lane.id, f);
        this.#totals.get(lane.id)!.failures = f;
        if (b.breaker !== 'open') b.breaker = s.state;
      }
    }
    const j = this.#sources.journal();
    bucket.backlog = j.backlog;
    bucket.repaired = j.repaired;
    this.buckets.push(bucket);
    this.#current = this.#newBucket(bucket.startMs + this.bucketMs);
  }

  /** The latest values, rates over the last finished bucket. */
  live(): LiveView {
    const last = this.buckets[this.buckets.length - 1];
    const perSec = (n: number): number => (n * 1000) / this.bucketMs;
    const j = this.#sources.journal();
    const states = new Map<string, BreakerState>();
    for (const s of this.#sources.storageStatus()) states.set(`storage:${s.name}`, s.state);
    for (const s of this.#sources.apiStatus()) states.set(`api:${s.name}`, s.state);
    return {
      elapsedMs: this.now(),
      phase: this.#phase,
      ops: this.#ops,
      opsPerSec: perSec(last?.ops ?? 0),
      appErrors: this.errors.length,
      backlog: j.backlog,
      journaled: j.journaled,
      repaired: j.repaired,
      lanes: LANES.map((lane) => {
        const b = last?.lanes[lane.id];
        const totals = this.#totals.get(lane.id)!;
        return {
          lane,
          breaker: states.get(lane.id) ?? 'closed',
          requestsPerSec: perSec(b?.requests ?? 0),
          servedPerSec: perSec(b?.served ?? 0),
          failures: totals.failures,
          served: totals.served,
        };
      }),
    };
  }

  /** Totals per lane: calls served and failures the library saw. */
  totals(lane: string): { served: number; failures: number } {
    return { ...(this.#totals.get(lane) ?? { served: 0, failures: 0 }) };
  }

  #served(group: Lane['group'], target: string): void {
    const lane = laneOf(group, target);
    if (lane === undefined) return;
    this.#current.lanes[lane.id]!.served++;
    this.#totals.get(lane.id)!.served++;
  }

  #newBucket(startMs: number): Bucket {
    const lanes: Record<string, LaneBucket> = {};
    for (const lane of LANES) lanes[lane.id] = { served: 0, requests: 0, failures: 0, breaker: 'closed' };
    return { startMs, phase: this.#phase, ops: 0, appErrors: 0, backlog: 0, repaired: 0, lanes };
  }
}
