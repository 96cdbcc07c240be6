/**
 * The replication journal: a durable record of every write the multi-cloud store acknowledged
 * while some target did not get it. Repair reads it to copy data back; nothing is acknowledged
 * before its entry is durable.
 */

/** What a journal entry records: a put of a version, or a delete (a tombstone). */
export type JournalOp = 'put' | 'delete';

/** One acknowledged write that some targets still lack. */
export interface JournalEntry {
  /** Unique id of the entry (e.g. the version plus the key). */
  readonly id: string;
  /** `put` or `delete` (a tombstone: repair deletes the key on the missing targets). */
  readonly op: JournalOp;
  /** The object's key. */
  readonly key: string;
  /** The write's version (hybrid logical clock + writer id), comparable as a string. */
  readonly version: string;
  /** SHA-256 (hex) of the content, for puts. */
  readonly sha256?: string;
  /** Size in bytes, for puts. */
  readonly size?: number;
  /** Names of targets that hold this version (where repair copies from). */
  readonly holders: readonly string[];
  /** Names of targets that still lack it (where repair copies to). */
  readonly missing: readonly string[];
  /** When the write was acknowledged (ms since epoch). */
  readonly at: number;
  /**
   * Recorded before the write was sent (an intent), not yet acknowledged. Deletes are journaled as
   * intents first, so a crash between a delete reaching some targets and its acknowledgement can
   * never let an older copy come back: repair completes the delete. Default `false`.
   */
  readonly intent?: boolean;
  /**
   * A request to some `missing` target ended without an answer (timeout, cut connection) and may
   * still land there later. Repair may copy at once but resolves a pair only after this time (ms
   * since the epoch), after checking the target again, so a late request cannot leave it older.
   */
  readonly notBefore?: number;
  /**
   * Acknowledged with fewer copies than the write mode asks for (only one cloud was up). Repair
   * copies degraded writes first.
   */
  readonly degraded?: boolean;
  /**
   * A put recorded *while* it was sent, before any target answered (an intent, so `intent` is
   * `true` too): `holders` names the one target it was sent to, not yet confirmed. The multi-cloud
   * store's `'primary'` mode records its writes this way, beside the upload, so that a put waits
   * for the later of the upload and the fsync instead of their sum. The write is acknowledged once
   * that target has the version (the store then replaces the entry with an acknowledged one of the
   * same id, without waiting for it to be durable): until it is replaced, readers must not take a
   * copy older than its version from any other target, and repair copies the version from the
   * holder when it is there, or drops the entry once `notBefore` has passed and no target has it.
   * Default `false`.
   */
  readonly provisional?: boolean;
}

/**
 * The newest write a journal has recorded for a key (its high-water mark), pending or not: what
 * {@link Journal.highWater} answers. Kept for {@link HIGH_WATER_RETENTION_MS} after the key's
 * last append, also once every target holds the write.
 */
export interface JournalHighWater {
  /** The id of the entry that recorded it. */
  readonly id: string;
  /** A put, or a delete (a tombstone: the key is gone at this version). */
  readonly op: JournalOp;
  /** Its version (the newest appended for the key; compared as strings). */
  readonly version: string;
  /** SHA-256 (hex) of the content, for puts. */
  readonly sha256?: string;
  /** Size in bytes, for puts. */
  readonly size?: number;
  /** Recorded before the write was sent and not acknowledged (yet). */
  readonly intent?: boolean;
  /**
   * With a mark that is an intent: the newest version recorded for the key that is not an intent
   * (acknowledged, or confirmed), when the journal knows one. A write in flight makes the mark its
   * intent, and would otherwise hide the acknowledged write before it (say a delete: a version
   * older than that is then overwritten or deleted, not lost). Absent on marks that are no intent
   * (their own `version` is that), and from journals that do not track it.
   */
  readonly recorded?: string;
}

/** The answer of {@link Journal.leaseWrite}. */
export type WriteLeaseAnswer =
  | {
      readonly granted: true;
      /** The key's high-water mark when the lease was granted (see {@link Journal.highWater}). */
      readonly highWater: JournalHighWater | undefined;
    }
  | {
      readonly granted: false;
      /** Ms left on the lease of the write that holds it (0 when unknown). */
      readonly retryInMs: number;
    };

/** What {@link Journal.appendIntent} answers. */
export interface IntentAppend {
  /** Resolves once the entry survives a crash of this process (not necessarily of the machine). */
  readonly written: Promise<void>;
  /** Resolves once the entry is durable, as {@link Journal.append} does. */
  readonly durable: Promise<void>;
}

/**
 * How long (ms) a journal keeps a key's high-water mark after the key's last append: 1 hour.
 * Repair and reconcile compare a copy they made against it (see {@link Journal.highWater}); a
 * copy still running reads it every half of this too, so a write journaled while a copy runs is
 * seen before its mark expires, however long the copy takes.
 */
export const HIGH_WATER_RETENTION_MS = 3_600_000;

/**
 * A journal implementation: the file journal (default) or the memory journal (tests).
 *
 * Semantics shared by every implementation:
 * - An entry is pending while its `missing` list is non-empty.
 * - Superseding: an appended entry removes the targets named in its `holders` or `missing` from
 *   the `missing` of older entries (smaller `version`, compared as strings) of the same key: a
 *   target needs only the newest version, and a newer tombstone replaces an older put.
 * - Out of order: an entry older than a pending entry of its key keeps only the targets that the
 *   newer entry does not mention, so a late append never regresses a target.
 * - Intents (`intent: true`) supersede nothing, and are no reason for an older entry to drop a
 *   target, until an entry with the same id (the acknowledged record) replaces them.
 * - Appending an entry with the id of a pending entry replaces that entry.
 * - Calls take effect in the order they are made.
 */
export interface Journal {
  /**
   * Loads the journal (the file journal takes its lock and replays its file) so that
   * {@link Journal.backlog} is right from the start. Optional to call: every other async method
   * opens the journal on first use. Rejects like the first use would (e.g. the lock is held).
   */
  open?(): Promise<void>;
  /**
   * Records an entry durably (for the file journal: appended and fsynced) before resolving.
   * A newer entry for the same key supersedes older ones for the targets it lists.
   * Rejects (and records nothing the caller may rely on) when the entry is malformed
   * (`InvalidArgumentError`) or could not be made durable (`JournalError`).
   */
  append(entry: JournalEntry): Promise<void>;
  /**
   * Optional: appends an intent (`intent: true`) the caller is about to act on, and says apart
   * when it is *written* (it survives a crash of this process: for the file journal, its line is
   * in the operating system's hands) and when it is *durable* (as {@link Journal.append}). The
   * multi-cloud store appends an intent for every parallel put and sends the put once the intent
   * is written, so a crash after the put reached some cloud always leaves a record naming it,
   * without waiting for an fsync before the upload. Without this method the store awaits
   * {@link Journal.append} instead. Both promises reject like `append` would.
   */
  appendIntent?(entry: JournalEntry): IntentAppend;
  /**
   * Records that `target` now holds the entry `id` (after repair copied it there): the target
   * moves from the entry's `missing` to its `holders`. An unknown id or a target that is not
   * missing is a no-op.
   */
  resolve(id: string, target: string): Promise<void>;
  /**
   * Every entry that still has missing targets, oldest first, with its current `holders` and
   * `missing`. Reflects every call made before it.
   */
  pending(): Promise<JournalEntry[]>;
  /** How many (entry, missing target) pairs are still to repair. Cheap; for status and dashboards. */
  backlog(): number;
  /** Rewrites storage to hold only pending entries. The file journal also does this by itself. */
  compact(): Promise<void>;
  /** Flushes and releases resources (file handles, locks). Safe to call twice. */
  close(): Promise<void>;
  /**
   * Optional: the newest `version` (compared as strings) of every entry ever appended to this
   * journal, intents included, settled or not, or `undefined` when none was; kept across restarts
   * and compactions (the file journal writes it into its compacted file). The multi-cloud store
   * moves its clock past it when it opens, before it stamps any write: a process restarted with
   * its wall clock behind (an NTP step, a VM restored from a snapshot, a container moved to a host
   * with a wrong clock) then never stamps a write older than one it acknowledged before, which
   * the clouds would keep in its place. Without this method the store knows only the versions of
   * the pending entries. Rejects like {@link Journal.pending} would.
   */
  newestVersion?(): Promise<string | undefined>;
  /**
   * Optional: this journal's identity, a random id created once with the journal's storage and
   * kept for its whole life (the file journal keeps it in its file's header line, through
   * compactions; the Redis journal in its meta hash). A journal whose storage was lost (a wiped
   * directory, a container without a volume, a Redis without persistence that restarted or failed
   * over to a replica) comes back with a NEW id. The multi-cloud store keeps the id with its epoch
   * markers and, when it opens and finds another one there, knows the journal forgot what some
   * targets lack: it reports `journalReset` and reconciles the targets (docs/multi-cloud.md).
   * `undefined` when the id is not known (an older file not compacted since; a fallback journal
   * whose primary is away): no check then. Without this method there is no check either (the
   * memory journal, which keeps nothing across restarts by design). Rejects like
   * {@link Journal.pending} would.
   */
  journalId?(): Promise<string | undefined>;

  // Optional: what a journal shared by a fleet of processes (e.g. `@failover/redis`) offers. The
  // multi-cloud store uses each one when it is there.

  /**
   * The pending entries of `key` written by any process sharing this journal, oldest first. The
   * store asks it on reads of keys its own index knows nothing about, so no instance reads a
   * version older than one any instance acknowledged.
   */
  pendingOf?(key: string): Promise<JournalEntry[]>;
  /**
   * The pending entries whose key starts with `prefix`, written by any process sharing this
   * journal (each key's entries oldest first; `''` is every entry, as {@link Journal.pending}). A
   * listing asks it for its prefix (with {@link Journal.pendingOf} only, it reads the whole
   * backlog): it must name every entry of such a key that was pending before the call and still
   * is when it answers.
   */
  pendingWithPrefix?(prefix: string): Promise<JournalEntry[]>;
  /**
   * Synchronous: `false` when `key` has no pending entry anywhere (the store then skips
   * {@link Journal.pendingOf}), `true` when it may have one, `undefined` when unknown.
   */
  mayHavePending?(key: string): boolean | undefined;
  /**
   * Leases keys for repair for `ttlMs`; returns the keys this process got (a key leased by another
   * live process is left out), so no object is copied by two processes at once.
   */
  lease?(keys: readonly string[], ttlMs?: number): Promise<string[]>;
  /** Gives leased keys back. */
  release?(keys: readonly string[]): Promise<void>;
  /**
   * Whether a process other than this one holds a repair lease on `key` now (see
   * {@link Journal.lease}): its repair may be copying an older version of the key to some target
   * this very moment. Rejects when it cannot tell. A delete asks it once its record is appended:
   * a copy landing after the delete (nothing is left on the target to refuse it) would bring the
   * deleted version back, so the delete is then recorded for every target again, and repair
   * deletes whatever came back.
   */
  repairLeased?(key: string): Promise<boolean>;
  /**
   * The newest write appended for `key` by any process sharing this journal (its high-water
   * mark), pending or not, or `undefined` when none was appended in the last
   * {@link HIGH_WATER_RETENTION_MS}. At equal versions the later append wins (an acknowledged
   * record replaces its intent), except an intent under another id, which never replaces the
   * mark of its version (see `replacesMark`). Repair and reconcile ask it after a copy landed: a write newer
   * than the copy, made by another process meanwhile (a delete leaves nothing on a target to
   * refuse the copy), must still reach the target.
   */
  highWater?(key: string): Promise<JournalHighWater | undefined>;
  /**
   * Takes (or renews) the write lease of `key` for `ttlMs` under `token` (unique per write), so
   * the writes of one key by a fleet's instances are made one after the other: the multi-cloud
   * store takes it before it chooses a write's version and gives it back once every copy of the
   * write settled (see {@link Journal.releaseWrite}). Granted when no other token holds it (or
   * `token` does: the lease is renewed), with the key's {@link Journal.highWater} mark read in the
   * same step (the store's version then comes after it); refused otherwise, with the time left on
   * the other token's lease. Rejects when it cannot tell (the store then writes without a lease,
   * as a journal of one process does).
   */
  leaseWrite?(key: string, token: string, ttlMs: number): Promise<WriteLeaseAnswer>;
  /** Gives back the write lease of `key` when `token` holds it; a no-op otherwise. */
  releaseWrite?(key: string, token: string): Promise<void>;
  /**
   * Settles the intent recorded as `id` atomically against every other process sharing this
   * journal: when the entry is pending and still an intent (no acknowledged record replaced it),
   * `'withdraw'` drops it (its writer found that it reached no target) and `'confirm'` replaces it
   * with its acknowledged record (the same entry without `intent`, with its current holders and
   * missing targets: it then supersedes like an acknowledged append, and becomes the key's mark).
   * Returns whether it did; `false` (and nothing changed) when the entry is not pending or not an
   * intent. Repair confirms another process's delete intent before it acts on it, and that
   * process withdraws its intent with `'withdraw'`: whichever comes first wins, so a delete is
   * never applied to a cloud after its writer withdrew it. A journal of one process (the file
   * journal) needs none: the store orders both under the key's lock.
   */
  settleIntent?(id: string, how: 'withdraw' | 'confirm'): Promise<boolean>;
  /**
   * For a journal over a shared part and a local one (`createFallbackJournal`): `true` while the
   * shared part is skipped (down), so {@link Journal.pending} answers from this process's local
   * part alone and proves nothing of other processes' entries. A listing then keeps the entries of
   * its own that the answer leaves out, instead of taking them as settled elsewhere.
   */
  primaryAway?(): boolean;
}
