import type { WriteMode } from '@failover/storage';
import type { Output } from './dashboard/types.js';
import type { ScenarioId } from './scenarios/types.js';

/** Options of {@link runDemo}; every one has a default. */
export interface DemoOptions {
  /** Seconds of traffic; the phases scale to it. 10 to 3600; default 120. */
  readonly durationSec?: number;
  /** The outage to replay. Default `us-east-1-2025`. */
  readonly scenario?: ScenarioId;
  /** How the multi-cloud store writes. Default: the library's default, `{ quorum: 2, minimum: 1 }`. */
  readonly writeMode?: WriteMode;
  /** Seed of the traffic and of the faults' random draws. Default 1. */
  readonly seed?: number;
  /** Operations the application starts per second. 1 to 200; default 20. */
  readonly opsPerSecond?: number;
  /** Where to write the HTML report; `null` for none. Default `.failover-demo/report.html`. */
  readonly reportPath?: string | null;
  /** Where the dashboard and the report go. Default `process.stdout`. */
  readonly out?: Output;
  /** Live (ANSI) dashboard instead of plain lines. Default: when `out` is a terminal. */
  readonly live?: boolean;
  /** Colours in the final report. Default: like `live`, and never with `NO_COLOR` set. */
  readonly color?: boolean;
  /**
   * App instances (`--fleet --instances <n>`): above 1, the demo starts a Redis and runs that many
   * instances of the order service, each in a process of its own, sharing the journal and the
   * breakers (fleet mode, see docs/fleet.md). 1 to 8; default 1 (one process, file journal, no Redis).
   */
  readonly instances?: number;
  /** Stops the run early (Ctrl-C): the phases end, the run cleans up and rejects. */
  readonly signal?: AbortSignal;
}

/** The defaults. */
export const DEFAULTS = Object.freeze({
  durationSec: 120,
  shortDurationSec: 15,
  scenario: 'us-east-1-2025' as ScenarioId,
  writeMode: { quorum: 2, minimum: 1 } as WriteMode,
  seed: 1,
  opsPerSecond: 20,
  fleetInstances: 3,
  reportPath: '.failover-demo/report.html',
});
