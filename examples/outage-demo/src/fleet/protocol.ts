import type { TargetStatus } from '@failover/core';
import type { FleetStatus } from '@failover/redis';
import type { WriteMode } from '@failover/storage';
import type { Tuning } from '../app/tuning.js';
import type { ApiRegion } from '../topology/pricing-api.js';
import type { OpOutcome } from '../workload/traffic.js';

/** What an instance process needs: where the clouds (through their proxies), the API and Redis are. */
export interface InstanceConfig {
  /** `app-2`, `app-3`...: the instance's writer id and name in fleet messages. */
  readonly instanceId: string;
  readonly s3Endpoint: string;
  readonly gcsEndpoint: string;
  readonly azureConnectionString: string;
  readonly apiUrls: Readonly<Record<ApiRegion, string>>;
  readonly redisUrl: string;
  readonly journalDir: string;
  readonly writeMode: WriteMode;
  readonly tuning: Tuning;
  readonly seed: number;
  readonly opsPerSecond: number;
  readonly maxReceiptBytes: number;
  /** `failover.test` names whose DNS fails now (a `dns` phase in force at start). */
  readonly failingDns: readonly string[];
}

/** One ledger call of an instance, replayed into the run's ledger for verification. */
export interface LedgerRecord {
  readonly key: string;
  readonly acked: boolean;
  /** The version's bytes (base64), or null for a delete. */
  readonly bytes: string | null;
}

/** Parent to instance. */
export type ToInstance =
  /** Make the store and clients, then answer `ready`; the traffic waits for `go`. */
  | { readonly type: 'start'; readonly config: InstanceConfig }
  /** Start the traffic (answered with `started`). */
  | { readonly type: 'go' }
  | { readonly type: 'dns'; readonly host: string; readonly failing: boolean }
  /** Stop the traffic, repair until nothing is pending (or `deadlineMs`), report and wait. */
  | { readonly type: 'finish'; readonly maxResetMs: number }
  | { readonly type: 'close' };

/** A breaker event of an instance's store or pricing client. */
export interface InstanceBreakerEvent {
  readonly group: 'storage' | 'api';
  readonly target: string;
  readonly what: 'open' | 'halfOpen' | 'close';
  /** Opened or closed on another instance's word (the fleet), not by this instance's own calls. */
  readonly remote: boolean;
  readonly reason: string | undefined;
  readonly kind: string | undefined;
  /** Wall clock (ms since the epoch). */
  readonly at: number;
}

/** Instance to parent. */
export type FromInstance =
  | { readonly type: 'ready' }
  /** The traffic started at `at` (wall clock): outcomes' times are relative to it. */
  | { readonly type: 'started'; readonly at: number }
  | { readonly type: 'outcome'; readonly outcome: OpOutcome }
  | { readonly type: 'breaker'; readonly event: InstanceBreakerEvent }
  | {
      readonly type: 'status';
      readonly storage: readonly TargetStatus[];
      readonly backlog: number;
      readonly repaired: number;
      readonly journaled: number;
      readonly fleet: FleetStatus;
    }
  | {
      readonly type: 'finished';
      readonly ledger: readonly LedgerRecord[];
      readonly repaired: number;
      readonly journaled: number;
      readonly repairPasses: number;
      readonly backlog: number;
    };
