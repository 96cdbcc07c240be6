import type { Fault } from '@failover/testkit';

/** The fault proxies a phase can act on: the three storage clouds and the three pricing API regions. */
export const PROXY_IDS = ['s3', 'gcs', 'azure', 'api-us-east-1', 'api-us-west-2', 'api-gcp'] as const;

/** One fault proxy of the topology. */
export type ProxyId = (typeof PROXY_IDS)[number];

/** The scenarios `--scenario` accepts. */
export const SCENARIO_IDS = ['us-east-1-2025', 'blackhole', 'flapping', 'all-clouds-down'] as const;

/** A scenario's id. */
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** One phase of a scenario: which faults are in force, and for what share of the run. */
export interface Phase {
  /** Short id, shown on the dashboard and the charts (`dns`, `brown-out`...). */
  readonly id: string;
  /** One line saying what happens, e.g. "the regional endpoint stops resolving". */
  readonly title: string;
  /** What this phase stands for in the real incident. */
  readonly realWorld: string;
  /** Share of the run's duration (the weights of a scenario are normalised). */
  readonly weight: number;
  /** The fault of each proxy during the phase; proxies left out pass traffic through. */
  readonly faults: Readonly<Partial<Record<ProxyId, Fault>>>;
  /**
   * Whether the application may see errors in this phase: only when every cloud is down, or has
   * just come back and its breaker has not probed it yet. Default `false`.
   */
  readonly appErrorsAllowed?: boolean;
}

/** A replayable outage: an ordered list of phases. */
export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly description: string;
  readonly phases: readonly Phase[];
  /**
   * Whether the application is expected to see errors (only when every cloud is down at once).
   * Errors outside the phases that allow them fail the run.
   */
  readonly appErrorsExpected: boolean;
}

/** A phase with its place on the run's clock. */
export interface TimedPhase extends Phase {
  readonly index: number;
  /** Start, in ms from the start of the traffic. */
  readonly startMs: number;
  /** Length in ms. */
  readonly durationMs: number;
}
