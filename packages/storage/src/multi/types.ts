import type { Readable } from 'node:stream';
import type { FailoverEvents, FailureKind, TargetStatus } from '@failover/core';
import type { JournalOp } from '../journal/types.js';
import type { PresignedUrl, PresignOptions } from '../presign.js';
import type {
  BlobBody,
  BlobInfo,
  BlobStore,
  CopyOptions,
  DeleteOptions,
  GetOptions,
  ListOptions,
  OperationOptions,
  PrefixEntry,
  PutOptions,
} from '../types.js';
import type { WriteMode } from './options.js';

/**
 * What the multi-cloud store reports about an object: a {@link BlobInfo} (metadata without the
 * store's reserved `fo_` keys, `checksums.sha256` filled in) plus its version and the target the
 * answer came from.
 */
export interface MultiCloudBlobInfo extends BlobInfo {
  /** The object's version (hybrid logical clock + writer id), or `undefined` for objects no multi-cloud store wrote. */
  version: string | undefined;
  /** The name of the target this information came from. */
  target: string;
}

/** Per-operation settings of the multi-cloud store, on top of the options every store takes. */
export interface MultiCloudCallOptions {
  /**
   * Time limit of one attempt on one target for this call (ms, 1 to 2147483647), or `false` for
   * none; overrides the store's `failover.attemptTimeoutMs`. Useful for one large upload on a
   * store tuned for small objects.
   */
  attemptTimeoutMs?: number | false;
}

/** A listing entry of the multi-cloud store. */
export type MultiCloudListEntry = MultiCloudBlobInfo | PrefixEntry;

/** Options of {@link MultiCloudStore.repair}. */
export interface RepairRunOptions extends OperationOptions {
  /** Only repair copies to these targets (by name). Default: every target. */
  targets?: readonly string[];
}

/** One copy (or delete) repair or reconcile could not make. */
export interface RepairFailure {
  readonly key: string;
  /** The target that still lacks the write. */
  readonly target: string;
  readonly op: JournalOp;
  readonly kind: FailureKind;
  /** The error's message (credentials removed). */
  readonly message: string;
}

/** What one repair pass did. */
export interface RepairReport {
  /** When the pass started (ms since the epoch). */
  readonly startedAt: number;
  /** How long it took (ms). */
  readonly durationMs: number;
  /** (entry, target) pairs the pass looked at. */
  readonly attempted: number;
  /** Copies and deletes made (or found already done). */
  readonly repaired: number;
  /** Targets that held a newer version than the journal entry: left alone (newest wins). */
  readonly conflicts: number;
  /**
   * Acknowledged versions found on no target any more (every copy is gone): each is reported by a
   * `lost` event and settled as a delete at that version, so no older copy comes back.
   */
  readonly lost: number;
  /**
   * Pairs skipped because their target is down (breaker open, or half-open with its one probe
   * busy: the store then runs another pass soon), or their key is being repaired by another
   * instance; they stay in the journal.
   */
  readonly skipped: number;
  /**
   * Pairs copied (or found right) whose target may still receive a late request of the key: they
   * stay in the journal until `repair.settleMs` has passed and are checked again then.
   */
  readonly deferred: number;
  /** Pairs that failed; they stay in the journal for the next pass. */
  readonly failed: readonly RepairFailure[];
  /** (entry, target) pairs still pending after the pass. */
  readonly backlog: number;
}

/** Options of {@link MultiCloudStore.reconcile}. */
export interface ReconcileOptions extends OperationOptions {
  /** Only keys starting with this. Default: every key. */
  prefix?: string;
  /** Report what would change without changing anything. Default `false`. */
  dryRun?: boolean;
  /**
   * Also read every copy and check its bytes against its SHA-256 (finds corrupt copies whose
   * metadata is intact). Costs a full read of every object on every target. Default `false`.
   */
  verify?: boolean;
}

/** One change reconcile made (or, in a dry run, would make). */
export interface ReconcileChange {
  readonly key: string;
  /** `copy`: the newest version copied to `targets`; `delete`: a journaled delete applied to `targets`. */
  readonly action: 'copy' | 'delete';
  /** The version that wins. */
  readonly version: string | undefined;
  /** Where the bytes come from (for `copy`). */
  readonly from: string | undefined;
  /** The targets changed. */
  readonly targets: readonly string[];
}

/** What reconcile found and did. */
export interface ReconcileReport {
  readonly prefix: string;
  readonly dryRun: boolean;
  /** Keys compared. */
  readonly checked: number;
  /** Keys already identical (version and SHA-256) on every target compared. */
  readonly inSync: number;
  /** Copies made (0 in a dry run). */
  readonly copied: number;
  /** Deletes made for journaled deletes (0 in a dry run). */
  readonly deleted: number;
  /** Copies with the same version but different content, or newer than a journaled delete. */
  readonly conflicts: number;
  /** Copies whose bytes did not match their SHA-256 (with `verify`). */
  readonly corrupt: number;
  /**
   * Keys whose newest acknowledged (journaled) version is on no target any more: settled as a
   * delete at that version (never the older copy), and reported by a `lost` event.
   */
  readonly lost: number;
  /** Failures (listing a target, reading, copying). */
  readonly errors: readonly RepairFailure[];
  /** Targets not compared because they were down or their listing failed. */
  readonly skippedTargets: readonly string[];
  /** Every change made, or in a dry run every change that would be made. */
  readonly changes: readonly ReconcileChange[];
  readonly durationMs: number;
}

/** Options of {@link MultiCloudStore.drill}. */
export interface DrillOptions extends OperationOptions {
  /** Key prefix of the canary objects. Default `_failover/drill/`. */
  prefix?: string;
  /** Size of the canary object in bytes. Default 1024; 0 to 16 MiB. */
  bytes?: number;
  /** Time limit for each target's whole drill (ms). Default 10000. */
  timeoutMs?: number;
}

/** The step of a drill that failed. */
export type DrillStep = 'put' | 'get' | 'verify' | 'head' | 'delete';

/** One target's drill result. */
export interface DrillTargetReport {
  readonly target: string;
  /** Every step passed. */
  readonly ok: boolean;
  /** Time of each step that ran (ms). */
  readonly stepsMs: Readonly<Partial<Record<DrillStep, number>>>;
  /** Total time (ms). */
  readonly latencyMs: number;
  /** The first failure, when there was one. */
  readonly error:
    | { readonly step: DrillStep; readonly kind: FailureKind; readonly message: string }
    | undefined;
}

/** What {@link MultiCloudStore.drill} found. */
export interface DrillReport {
  /** Every target passed. */
  readonly ok: boolean;
  readonly at: number;
  readonly targets: readonly DrillTargetReport[];
}

/** One target in {@link MultiCloudStatus}. */
export interface MultiCloudTargetStatus extends TargetStatus {
  /** True when a call may go to the target now. */
  readonly available: boolean;
  /** Journal (entry, target) pairs this target still lacks. */
  readonly behind: number;
  /**
   * Set when the target lost its data (its epoch marker vanished or changed): when it was noticed
   * and whether it is still being reconciled from the others. Its "not found" answers are not
   * trusted meanwhile.
   */
  readonly amnesia: { readonly since: number; readonly reconciling: boolean } | undefined;
  /**
   * True while the target is on hold: some of its requests stay silent while the other targets
   * answer newer ones, so parallel writes send it no new copy (they journal it as missing) until
   * it answers. See docs/multi-cloud.md, "Unresponsive targets".
   */
  readonly held: boolean;
}

/** Operation counters since the store was created. */
export interface MultiCloudCounts {
  puts: number;
  gets: number;
  deletes: number;
  /** Writes recorded in the journal. */
  journaled: number;
  /** Copies and deletes made by repair and reconcile. */
  repaired: number;
  conflicts: number;
  integrityErrors: number;
  repairPasses: number;
  /** Writes acknowledged with fewer copies than the write mode asks for (only one cloud was up). */
  degraded: number;
  /** Acknowledged versions found on no target any more. */
  lost: number;
  /** Times a target was found to have lost its data. */
  amnesia: number;
  /**
   * Times the journal was found to have lost its data when the store opened (the `journalReset`
   * event: the epoch markers hold another journal's id).
   */
  journalResets: number;
  /** Streamed bodies cut mid-way that went on from another target (the `resumed` event). */
  resumedDownloads: number;
  /** Copies older than a write acknowledged here that reads and listings found and skipped (the `staleCopy` event). */
  staleCopies: number;
  /** Writes that waited for the write lease of their key another write held (a fleet's, see `writeLease`). */
  writeLeaseWaits: number;
  /**
   * Writes made without their key's write lease: the shared journal could not tell (away, slow),
   * or another write held it longer than `writeLease.waitMs`.
   */
  writeLeaseSkipped: number;
}

/** A snapshot of the store's health. */
export interface MultiCloudStatus {
  readonly name: string;
  readonly writes: WriteMode;
  /** Every target, in order, with its breaker state and health counters (from core). */
  readonly targets: readonly MultiCloudTargetStatus[];
  /** The router's retry budget. */
  readonly budget: { readonly tokens: number; readonly capacity: number } | undefined;
  readonly journal: {
    /** (entry, target) pairs still to repair. */
    readonly backlog: number;
    /** Keys with a write some target still lacks. */
    readonly pendingKeys: number;
  };
  /**
   * Set while a journal reset (the `journalReset` event) is not reconciled yet: the ids, when it
   * was noticed, and whether its reconcile runs now (one that did not finish cleanly is retried
   * at each repair pass). Reads may return an older version meanwhile: the journal no longer
   * says which targets lag.
   */
  readonly journalReset:
    | {
        readonly previous: string;
        readonly current: string;
        /** When this store noticed it (ms since the epoch). */
        readonly since: number;
        /** This store's reconcile runs now. */
        readonly reconciling: boolean;
        /**
         * Another instance sharing the journal (a fleet's) held the lease on the reconcile at this
         * store's last attempt: it reconciles, and this store waits. At each repair pass this store
         * reads the markers again (the reset is over once that instance confirmed the new id) and
         * asks for the lease again (it takes the reconcile over when the holder died).
         */
        readonly reconcilingElsewhere: boolean;
      }
    | undefined;
  /**
   * Another live process sharing this store's journal (a fleet's) uses its `writerId`: found by a
   * lease on the id, renewed every 10 s, that another process kept for longer than 40 s (also
   * reported once as an `error` event, `during: 'writer'`). Give each process its own id. Always
   * `false` with a journal a fleet does not share.
   */
  readonly writerIdShared: boolean;
  readonly repair: {
    readonly running: boolean;
    /** The last finished pass. */
    readonly last: RepairReport | undefined;
    /** When the last pass failed as a whole (e.g. the journal could not be read). */
    readonly lastError: { readonly at: number; readonly message: string } | undefined;
  };
  readonly counts: Readonly<MultiCloudCounts>;
  readonly closed: boolean;
}

/** Events of the multi-cloud store, besides the router's own (`failover`, `open`, `halfOpen`, `close`, ...). */
export interface MultiCloudOwnEvents {
  /** A write was recorded in the journal: `missing` targets still lack it. */
  journaled: {
    readonly key: string;
    readonly op: JournalOp;
    readonly version: string;
    readonly holders: readonly string[];
    readonly missing: readonly string[];
  };
  /** Repair or reconcile brought `target` up to `version` of `key` (copied from `from`, or deleted). */
  repaired: {
    readonly key: string;
    readonly op: JournalOp;
    readonly version: string;
    readonly target: string;
    readonly from: string | undefined;
  };
  /** A target held a newer version than the one repair or reconcile would apply: left alone. */
  conflict: {
    readonly key: string;
    readonly target: string;
    /** The version that was not applied. */
    readonly version: string | undefined;
    /** The newer version the target holds. */
    readonly found: string | undefined;
    readonly during: 'repair' | 'reconcile';
  };
  /**
   * A copy's bytes did not match its SHA-256 (or its cloud's store rejected them by the provider's
   * checksum: `actual` is then `md5:<value>` or the like); it is queued for repair.
   */
  integrityError: {
    readonly key: string;
    readonly target: string;
    readonly version: string | undefined;
    readonly expected: string;
    readonly actual: string;
  };
  /**
   * A write was acknowledged with fewer copies than the write mode asks for, because the other
   * targets were down. It is journaled; repair copies it first when they return.
   */
  degraded: {
    readonly key: string;
    readonly op: JournalOp;
    readonly version: string;
    readonly holders: readonly string[];
    readonly missing: readonly string[];
  };
  /**
   * An acknowledged version is on no target any more (every copy vanished: a cloud lost its data,
   * or the objects were removed behind the store's back). Settled as a delete at that version so
   * no older copy comes back. Distinct from `conflict` (concurrent writers).
   */
  lost: {
    readonly key: string;
    readonly version: string;
    readonly during: 'repair' | 'reconcile';
    /**
     * Repair only: what each target it asked for the version answered, in the order asked:
     * `<target>: missing`, `<target>: older (<version>)` (`unversioned` for an object no
     * multi-cloud store wrote) or `<target>: corrupt` (bytes that do not match the SHA-256).
     */
    readonly seen?: readonly string[];
  };
  /**
   * A target lost its data: its epoch marker vanished or changed. Its "not found" answers are not
   * trusted; it is reconciled from the other targets (`reconciled` set when that finished).
   */
  amnesia: {
    readonly target: string;
    /** The epoch the store expected. */
    readonly expected: string;
    /** What the target holds instead (`undefined`: no marker at all). */
    readonly found: string | undefined;
    /** `true` in the second event, once the target was reconciled from the others. */
    readonly reconciled: boolean;
  };
  /**
   * The journal lost its data (or was replaced): when the store opened, the epoch markers held
   * the id of another journal (`previous`) than the store's (`current`; `Journal.journalId`). The
   * writes it recorded as missing on some target are forgotten: every target is reconciled from
   * the others automatically (`status().journalReset` while that is not done), and only then do
   * the markers take the new id. Reported once per store opened; a fleet whose instances use
   * different journals over the same buckets (unsupported) reports it at their starts.
   *
   * Also reported, with `rolledBack` and `previous` equal to `current`, when the journal kept its
   * id but went back in time under the running store (a Redis restarted from an older snapshot, a
   * failover to a replica that lagged): its newest version is older than the newest one this
   * process appended to it, so the entries appended after the snapshot, and which targets lack
   * those writes, are gone. Every target is reconciled the same way. Only a process that appended
   * some of the lost entries can tell (checked at each repair pass).
   */
  journalReset: {
    readonly previous: string;
    readonly current: string;
    /** Set for a journal that went back in time (the id is the same). */
    readonly rolledBack?: {
      /** The newest version this process had appended to it. */
      readonly appended: string;
      /** The journal's newest version when it was asked (`undefined`: none). */
      readonly newest: string | undefined;
    };
  };
  /**
   * A target went on hold (`held: true`: `unresponsive.holdRequests` of its requests stay silent
   * while the other targets answer newer ones; parallel writes send it no new copy) or came off it
   * (`held: false`: it answered, or its silent requests ended).
   */
  held: { readonly target: string; readonly held: boolean };
  /**
   * A streamed `get`'s body was cut on `from` after `offset` bytes and goes on from `to`, which
   * holds the same version: the reader sees one whole body (see `reads` in docs/multi-cloud.md).
   */
  resumed: {
    readonly key: string;
    readonly version: string;
    readonly from: string;
    readonly to: string;
    readonly offset: number;
  };
  /**
   * A read or a listing found a copy older than a write this process acknowledged (a request of
   * an earlier write that landed on `target` after its settle window, `repair.settleMs`): the copy
   * was not returned, and `target` is journaled as lacking the newest write (repair replaces or deletes
   * the copy).
   */
  staleCopy: {
    readonly key: string;
    readonly target: string;
    /** The version the copy carries. */
    readonly version: string | undefined;
    /** The newest version acknowledged (a put, or a delete). */
    readonly newest: string;
  };
  /** A repair pass finished. */
  repairFinished: RepairReport;
  /**
   * Background work failed (a repair pass, a late quorum write's bookkeeping, an epoch check), or
   * (`'writer'`) another live process sharing the journal uses this store's `writerId`.
   */
  error: { readonly during: 'repair' | 'journal' | 'epoch' | 'writer'; readonly error: unknown };
}

/** Every event of the multi-cloud store: its own and the router's. */
export type MultiCloudEvents = MultiCloudOwnEvents & FailoverEvents;

/** The name of an event. */
export type MultiCloudEventName = keyof MultiCloudEvents;

/** A listener of event `E`. */
export type MultiCloudListener<E extends MultiCloudEventName> = (payload: MultiCloudEvents[E]) => void;

/**
 * A {@link BlobStore} over several stores (clouds, regions) with failover, replication through a
 * durable journal, repair, reconcile and drills. Made by {@link createMultiCloudStore}.
 */
export interface MultiCloudStore extends BlobStore {
  /** The target stores, in order of preference. */
  readonly targets: readonly BlobStore[];
  put(key: string, body: BlobBody, options?: PutOptions & MultiCloudCallOptions): Promise<MultiCloudBlobInfo>;
  get(
    key: string,
    options?: GetOptions & MultiCloudCallOptions,
  ): Promise<{ info: MultiCloudBlobInfo; body: Readable }>;
  head(key: string, options?: OperationOptions & MultiCloudCallOptions): Promise<MultiCloudBlobInfo | null>;
  exists(key: string, options?: OperationOptions & MultiCloudCallOptions): Promise<boolean>;
  /** Deletes the key on every target (see `BlobStore.delete`); `ifMatch` is refused (`InvalidArgumentError`). */
  delete(key: string, options?: DeleteOptions & MultiCloudCallOptions): Promise<void>;
  list(options?: ListOptions): AsyncIterable<MultiCloudListEntry>;
  copy(from: string, to: string, options?: CopyOptions & MultiCloudCallOptions): Promise<MultiCloudBlobInfo>;

  /**
   * Replays the journal now: copies each pending write to the targets that lack it (newest version
   * wins), applies pending deletes, and marks what it did in the journal. Only one pass runs at a
   * time; a call during a pass gets the next one. Also runs by itself (see `repair` options).
   */
  repair(options?: RepairRunOptions): Promise<RepairReport>;

  /** Compares every target's objects under a prefix and fixes divergence (newest version wins). */
  reconcile(options?: ReconcileOptions): Promise<ReconcileReport>;

  /** Writes, reads, verifies and deletes a canary object on every target directly (no failover). */
  drill(options?: DrillOptions): Promise<DrillReport>;

  /**
   * A presigned URL for `key`. `GET`: signed on the first healthy target that holds the newest
   * version. `PUT`: signed on the first healthy target, with a fresh version the upload carries;
   * journaled as a put's intent until the URL expires, so repair replicates the upload once it has
   * landed (see docs/multi-cloud.md). Never in an error or event.
   */
  presign(key: string, options?: PresignOptions): Promise<PresignedUrl>;

  /** Targets with breaker states, journal backlog, last repair, counters. */
  status(): MultiCloudStatus;

  /**
   * Fleet hook: opens the named target's breaker now, as if the store's own calls had tripped it
   * (another instance of the application saw the target fail). Reads and writes skip it until its
   * breaker lets a probe through. Emits `open` with `remote: true` and `reason`; a no-op when it is
   * already open. `createFleetHealth({ router: store })` from `@failover/redis` calls it. Throws an
   * `InvalidOptionError` (option `name`) for an unknown target.
   */
  trip(name: string, options?: { reason?: string }): void;

  /**
   * Fleet hook: closes the named target's open or half-open breaker now (another instance saw it
   * healthy); with `repair.onRecovery` a repair pass follows. Emits `close` with `remote: true`; a
   * no-op when it is closed. Throws an `InvalidOptionError` (option `name`) for an unknown target.
   */
  recover(name: string): void;

  /** Adds a listener; returns a function that removes it. A throwing listener never breaks a call. */
  on<E extends MultiCloudEventName>(event: E, listener: MultiCloudListener<E>): () => void;

  /** Removes a listener. */
  off<E extends MultiCloudEventName>(event: E, listener: MultiCloudListener<E>): void;

  /**
   * Stops the timers, waits for a running repair pass, for epoch markers being read or written,
   * and for the writes still running (the copies a quorum write was acknowledged without, bounded
   * by the attempt time limit), closes the router and the journal. Later calls reject. Safe to
   * call twice.
   */
  close(): Promise<void>;
}
