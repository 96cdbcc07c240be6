/**
 * The messages between the soak's parent (faults, model, checker) and its writer child (the
 * multi-cloud store, killed with SIGKILL and restarted on the same journal), over Node's IPC
 * channel. The child sends `invoke` and waits until it is handed to the OS before it calls the
 * store, so every call that may have taken effect is known to the parent, even after a SIGKILL.
 */

/** What the child needs to reach the clouds (through the fault proxies) and its journal. */
export interface ChildConfig {
  readonly bucket: string;
  readonly journalDir: string;
  readonly spoolDir: string;
  /** The S3 proxy's URL (a `failover.test` name). */
  readonly s3Endpoint: string;
  /** The GCS proxy's URL. */
  readonly gcsEndpoint: string;
  /** Azurite's connection string through its proxy. */
  readonly azureConnectionString: string;
  /** Proxy host names whose DNS fails at start (the parent's `dns` faults in force). */
  readonly failingDns: readonly string[];
  /** The router's attempt limit (ms). */
  readonly attemptTimeoutMs: number;
  /**
   * Fleet mode: the child is one app instance of several, its journal the Redis journal they
   * share (with `journalDir` as its local fallback) and its breakers shared with the fleet.
   */
  readonly fleet?: FleetChildConfig;
}

/** Where a fleet-mode child finds the state it shares with the other instances. */
export interface FleetChildConfig {
  readonly redisUrl: string;
  readonly journalPrefix: string;
  readonly fleetPrefix: string;
  /** The instance's id (kept across its restarts, as a container's name would be). */
  readonly instanceId: string;
  /** How far behind the real clock this instance's store runs (ms; its `now`). */
  readonly clockSkewMs?: number;
}

/** One call the parent asks the child to make. */
export type OpRequest =
  | {
      readonly type: 'op';
      readonly id: number;
      readonly op: 'put';
      readonly key: string;
      readonly seq: number;
      readonly size: number;
      readonly stream: boolean;
    }
  | { readonly type: 'op'; readonly id: number; readonly op: 'delete' | 'get'; readonly key: string }
  | { readonly type: 'op'; readonly id: number; readonly op: 'list'; readonly prefix: string };

/** Parent to child. */
export type ToChild =
  /** Open the store (a child is started ahead as a warm standby, and waits for this). */
  | { readonly type: 'start'; readonly config: ChildConfig }
  | OpRequest
  | { readonly type: 'dns'; readonly host: string; readonly failing: boolean }
  /** Faults are over: repair and reconcile to completion, read every key, close. */
  | { readonly type: 'finish'; readonly prefix: string; readonly keys: readonly string[] }
  /** Faults are over and another instance settles: close the store and exit. */
  | { readonly type: 'close' };

/** What a read found: a copy (its SHA-256 and version) or nothing. */
export interface ReadResult {
  readonly found: boolean;
  readonly sha256?: string;
  readonly version?: string | undefined;
}

/** Child to parent. */
export type FromChild =
  | { readonly type: 'ready'; readonly writerId: string }
  | { readonly type: 'invoke'; readonly id: number }
  | {
      readonly type: 'ok';
      readonly id: number;
      readonly version?: string | undefined;
      readonly read?: ReadResult;
      readonly keys?: readonly string[];
      /** For a listing: the target each listed key came from (the trace's post-mortems). */
      readonly listedFrom?: Readonly<Record<string, string>>;
    }
  | { readonly type: 'fail'; readonly id: number; readonly kind: string; readonly message: string }
  | { readonly type: 'event'; readonly name: string; readonly detail: string }
  | {
      readonly type: 'finished';
      readonly reads: Readonly<Record<string, ReadResult | { readonly error: string }>>;
      readonly listed: readonly string[];
      readonly settle: SettleReport;
    };

/** How the final repair and reconcile went in the child. */
export interface SettleReport {
  readonly repairPasses: number;
  readonly backlogAfter: number;
  readonly reconcile: {
    readonly copied: number;
    readonly deleted: number;
    readonly conflicts: number;
    readonly lost: number;
    readonly errors: number;
  };
  readonly counts: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /**
   * Why the settle left something behind: the last repair pass's failures, reconcile's errors,
   * the deferred count and the pending entries (key, op, missing targets), a few of each.
   */
  readonly leftovers?: readonly string[];
}
