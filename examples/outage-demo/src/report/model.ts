import type { WriteMode } from '@failover/storage';
import type { Bucket, TimelineEvent } from '../metrics/recorder.js';
import type { ScenarioId, TimedPhase } from '../scenarios/types.js';
import type { Verification } from '../verify/verify.js';
import type { AppError, OpKind } from '../workload/traffic.js';
import type { TelemetryReport } from './otel-section.js';

/** One check of the final report; the run fails when any check fails. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the application saw go wrong. */
export interface AppErrorSummary {
  readonly total: number;
  /** Errors per phase id. */
  readonly byPhase: Readonly<Record<string, number>>;
  /** Errors per failure kind (`unavailable`, `network`, `stale`...). */
  readonly byKind: Readonly<Record<string, number>>;
  /** Errors per operation. */
  readonly byOp: Readonly<Partial<Record<OpKind, number>>>;
  /** A few, as the application saw them: the first of each kind of failure, in time order. */
  readonly samples: readonly AppError[];
  /**
   * Errors while some cloud could serve: outside the phases where every cloud is down, and more
   * than `graceMs` after such a phase ended. They should never happen.
   */
  readonly outsideAllowedPhases: number;
  /** The first of those errors (up to 10), with when their operation started: what to look at when the count is not 0. */
  readonly outside: readonly AppError[];
  /** How long after every cloud was down errors are still accepted (a breaker's longest wait before its probe). */
  readonly graceMs: number;
}

/** The verification report of one run: what {@link runDemo} returns. */
export interface DemoReport {
  readonly scenario: ScenarioId;
  readonly scenarioTitle: string;
  /** Whether the scenario takes every cloud down, so that the application is expected to see errors. */
  readonly appErrorsExpected: boolean;
  readonly writeMode: WriteMode;
  readonly seed: number;
  /** The traffic's planned duration (ms). */
  readonly durationMs: number;
  /** Wall time of the whole run, setup and verification included (ms). */
  readonly wallMs: number;
  readonly phases: readonly TimedPhase[];
  readonly operations: {
    readonly total: number;
    readonly byOp: Readonly<Partial<Record<OpKind, number>>>;
    /** Storage calls served per target name. */
    readonly servedByTarget: Readonly<Record<string, number>>;
    /** Pricing API calls served per region. */
    readonly servedByRegion: Readonly<Record<string, number>>;
  };
  readonly appErrors: AppErrorSummary;
  readonly failovers: {
    /** Calls of the multi-cloud store that moved to another cloud. */
    readonly storage: number;
    /** Pricing API requests that moved to another region. */
    readonly api: number;
    /** Breaker openings, storage and API. */
    readonly breakerOpens: number;
  };
  /** From the primary's first fault to the first storage call served by another cloud (ms). */
  readonly timeToFailoverMs: number | undefined;
  /** From the primary's first fault to its breaker opening (ms). */
  readonly timeToBreakerOpenMs: number | undefined;
  /** From the primary's recovery to the first storage call it served again (ms). */
  readonly timeToFailBackMs: number | undefined;
  readonly writes: {
    /** Writes the application was told succeeded. */
    readonly acknowledged: number;
    /** Writes that threw: their effect is unknown to the application. */
    readonly unacknowledged: number;
    /** Writes the store recorded in its journal because some cloud missed them. */
    readonly journaled: number;
    /** Copies and deletes repair made to bring the clouds back in line. */
    readonly repaired: number;
    /** Journal backlog when the report was made (0: every cloud has every write). */
    readonly backlogAtEnd: number;
    /** Repair passes run. */
    readonly repairPasses: number;
  };
  readonly verification: Verification;
  /** Acknowledged writes missing or wrong on some cloud. */
  readonly lost: number;
  readonly checks: readonly Check[];
  /** Every check passed. */
  readonly ok: boolean;
  /** Time series for the charts. */
  readonly timeline: {
    readonly bucketMs: number;
    readonly buckets: readonly Bucket[];
    readonly events: readonly TimelineEvent[];
  };
  /** Where the HTML report was written, if it was. */
  readonly htmlPath: string | undefined;
  /**
   * The OpenTelemetry metrics and spans the run exported, written as JSON next to the HTML report
   * (absent with no report).
   */
  readonly telemetry?: TelemetryReport;
}
