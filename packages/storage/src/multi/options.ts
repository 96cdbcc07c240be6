import { tmpdir } from 'node:os';
import {
  type FailoverOptions,
  InvalidOptionError,
  type OptionsReader,
  optionError,
  readOptions,
  resolveOptions as resolveFailover,
} from '@failover/core';
import { isJournal } from '../journal/guards.js';
import type { Journal } from '../journal/types.js';
import type { BlobStore } from '../types.js';
import type { UnresponsiveLimits } from './unresponsive-rule.js';
import { randomWriterId, WRITER_ID } from './version.js';
import type { WriteLeaseLimits } from './write-lease.js';

/**
 * How a write (`put`, `delete`, `copy`) is made:
 *
 * - `{ quorum: n }`: on every healthy target at once; succeeds as soon as `n` took it (the others
 *   finish in the background, journaled until they do). Fewer than `n` is an error, unless
 *   `minimum` allows it: with `{ quorum: n, minimum: m }`, when fewer than `n` targets could take
 *   the write because the others are down (availability failures only), `m` copies are enough;
 *   such a write is acknowledged as *degraded* (a `degraded` event, `status().counts.degraded`)
 *   and repair copies it first when the others return.
 *   **Default: `{ quorum: 2, minimum: 1 }`** with two or more targets (`{ quorum: 1 }` with one):
 *   an acknowledged write is on two clouds whenever two are up, and writes still succeed while
 *   only one is up.
 * - `'mirror'`: on every healthy target at once; succeeds when every target that is up took it.
 *   Targets that are down get it later from the journal.
 * - `'primary'`: on the first healthy target only; the other targets get it from the journal
 *   (asynchronous replication by repair, shortly after). Fastest, but an acknowledged write lives
 *   on one cloud until repair copies it (about `repair.delayMs`): losing that cloud's data in
 *   that window loses the write (reported as `lost`). See docs/multi-cloud.md.
 */
export type WriteMode =
  | 'primary'
  | 'mirror'
  | {
      readonly quorum: number;
      /** Copies enough when fewer than `quorum` targets are up (a degraded write). Default `quorum`. */
      readonly minimum?: number;
    };

/** When and how repair runs by itself. */
export interface RepairOptions {
  /** A repair pass runs this often (ms), or `false` for never. Default 30000; 10 to 86400000. */
  intervalMs?: number | false;
  /**
   * After a write is journaled, a repair pass starts this long after it (ms, debounced), so the
   * other targets get a copy soon; `false` leaves it to the interval and to recoveries. Default 1000;
   * 0 to 86400000.
   */
  delayMs?: number | false;
  /**
   * Copies (or deletes) a pass runs at once when it starts, and at least. Default 4; 1 to 256.
   * While copies succeed about as fast as the pass's fastest ones, a pass takes more, up to
   * {@link RepairOptions.maxConcurrency}; a failed or much slower copy halves them again (see
   * docs/multi-cloud.md, "Repair's pace").
   */
  concurrency?: number;
  /**
   * The most copies a pass runs at once as it speeds up. Default 32 (or `concurrency`, when that is
   * higher); `concurrency` to 256. Equal to `concurrency`: a fixed number.
   */
  maxConcurrency?: number;
  /**
   * How long a write request that ended without an answer (attempt timeout, cut connection) may
   * still land on its target (ms). Until then repair does not trust that target's copy of the key:
   * it copies at once but checks the target again after this time, so a late request can never
   * leave it older than the acknowledged version. Default 10000; 0 to 3600000.
   */
  settleMs?: number;
  /**
   * Start a pass as soon as a target recovers (its breaker closes) and when the store starts with
   * a backlog in its journal (after a restart). Default `true`.
   */
  onRecovery?: boolean;
}

/**
 * How a stream body is held while it is written. A body up to `memoryBytes` is read (and hashed)
 * before it is sent; a larger one is streamed to the targets as it is read, and (with `replay`)
 * copied to a temporary file at the same time, with at most 1 MiB of it in memory ahead of the
 * slowest send (without `replay`: at most `memoryBytes`, at least 1 MiB).
 */
export interface SpoolOptions {
  /**
   * Bytes held in memory: a body up to this size is read before it is sent; a larger one is
   * streamed (without `replay`, at most this much ahead of the slowest send; with it, 1 MiB).
   * Default 8 MiB; 0 to 1 GiB.
   */
  memoryBytes?: number;
  /** Directory of the temporary files. Default `os.tmpdir()`. */
  dir?: string;
  /**
   * Copy a streamed body to a temporary file while it is sent (never delaying the sends unless
   * the disk is slower than every target), so that a failed send can be made again, to the same
   * target or another one; the file is removed once the write is done. `false`: no copy; a send
   * that fails after the first `memoryBytes` were sent cannot be retried (in `'primary'` mode the
   * put fails; in the parallel modes that target is journaled and repaired from the others).
   * Default `true`.
   */
  replay?: boolean;
}

/** How reads are verified. */
export interface ReadOptions {
  /**
   * Whole-object reads of objects up to this size (bytes) are read and verified before `get`
   * returns, so a corrupt or cut copy moves the read to another target. Larger objects are
   * streamed as soon as their first bytes arrive and verified as the stream ends (the stream
   * fails instead of ending on a mismatch). Default 64 KiB (reads stream at the SDK's speed
   * above it); 0 to 256 MiB.
   */
  bufferBytes?: number;
}

/**
 * How the store notices a target that lost its data (a recreated bucket, a provider-side loss):
 * every target holds a small marker object (`_failover/epoch`) with the same random epoch. A
 * target whose marker vanished or changed has lost data: its "not found" answers are not final,
 * it is reconciled from the others automatically, and an `amnesia` event and `status()` say so.
 * A target the store created the epoch without (unreachable, or its marker's write failed) gets
 * the marker when it answers instead; one never seen holding it while the others do is reconciled
 * (docs/multi-cloud.md, "amnesia", has the rules).
 */
export interface AmnesiaOptions {
  /**
   * A "not found" from a target is trusted only when its marker was seen within this many ms;
   * otherwise the marker is checked first (one cheap `head`, shared by concurrent reads).
   * Default 1000; 0 to 3600000.
   */
  recheckMs?: number;
  /**
   * Also notice a journal that lost its data (a wiped directory, a container without a volume for
   * it, a Redis without persistence that restarted or failed over to a replica): the markers keep
   * the journal's id (`Journal.journalId`), and a store that opens with a journal of another id
   * reports `journalReset` and reconciles every target in the background. Journals without
   * `journalId` (the memory journal) are not checked. Default true.
   */
  journal?: boolean;
  /**
   * With a journal shared by a fleet (one with `Journal.lease`, such as the Redis journal), one
   * instance reconciles after the journal lost its data while the others wait: it leases
   * `_failover/reconcile/<journal id>` for this many ms and renews the lease every third of it
   * while its reconcile runs. An instance that dies stops renewing: its lease expires after this
   * long and another instance takes the reconcile over at its next repair pass. Default 30000;
   * 10 to 3600000.
   */
  journalLeaseMs?: number;
}

/**
 * When a target that stays silent while its peers answer is left (its breaker opened, `open` with
 * `reason: 'unresponsive'`), before its requests' own time limits pass. A request to a target is
 * *overdue* when a peer answered a request sent at or after it, the target answered nothing since
 * it was sent (a streamed body it keeps taking counts as an answer), and it has been silent for
 * `afterMs` and `factor` times that peer's latency, this process's own stalls not counted. `strikes`
 * overdue requests with no answer from the target in between open its breaker. The request itself
 * is not aborted. See docs/multi-cloud.md, "Unresponsive targets".
 */
export interface UnresponsiveOptions {
  /**
   * The least silence that makes a request overdue, ms: above the latency of the slowest target
   * that must stay in use (a target answering every request in 300 ms is never left). Default 500;
   * 10 to 3600000.
   */
  afterMs?: number;
  /** ... and at least this many times the latency of a peer's answer to a newer request. Default 4; 1 to 1000. */
  factor?: number;
  /**
   * Overdue requests in a row, with no answer from the target in between, that open its breaker;
   * a target on hold (sent no new request) opens at the strike of the last request it holds that
   * can strike. Default 3; 1 to 1000.
   */
  strikes?: number;
  /**
   * The hold, long before the breaker opens: a request is *late* once it has been silent for this
   * long, twice a peer's latency on a newer request (`factor` times, if lower) and 1.5 times the target's own typical
   * answer (the median of its last 16), this process's stalls not counted. While
   * `holdRequests` of a target's requests are late, and it answered nothing since, parallel writes
   * send it no new copy when the other targets can make the quorum: it is journaled as missing and
   * repaired later. Its first answer lifts the hold. `false` turns the hold off. Default 20; 1 to
   * 3600000.
   */
  holdMs?: number | false;
  /** Late requests outstanding at once that put a target on hold. Default 1; 1 to 1000. */
  holdRequests?: number;
}

/**
 * The write lease of a fleet (a journal with `Journal.leaseWrite`, such as the Redis journal): each
 * write of a key takes the key's lease before it chooses its version and gives it back once every
 * copy it sent settled, so two instances writing one key at once make their writes one after the
 * other (no cloud keeps the older copy last; docs/fleet.md, "Two instances writing one key").
 * Ignored by a journal of one process (a store's own writes of a key are ordered by its key lock).
 */
export interface WriteLeaseOptions {
  /**
   * How long a lease lasts unrenewed, ms: renewed every quarter of it while its write runs, it
   * lapses this long after its holder died (another instance's write of the key waits that long).
   * Default 5000; 100 to 3600000.
   */
  ttlMs?: number;
  /**
   * How long a write waits for a lease another live write holds (a long upload of the same key)
   * before it goes on without it (counted in `status().counts.writeLeaseSkipped`). Default 30000;
   * 0 to 3600000.
   */
  waitMs?: number;
}

/** Options of {@link createMultiCloudStore}. Invalid values throw an `InvalidOptionError`. */
export interface MultiCloudStoreOptions {
  /** The stores, in order of preference (the first is the primary). At least one; names unique. */
  targets: readonly BlobStore[];
  /** How writes are made; see {@link WriteMode}. Default `{ quorum: 2, minimum: 1 }` (one target: `{ quorum: 1 }`). */
  writes?: WriteMode;
  /**
   * The durable record of writes some target still lacks. Default: a file journal in
   * `.failover/journal/<id>` under the current directory, where `<id>` is derived from the target
   * names (so a restarted process finds its journal). Pass your own for anything else; the store
   * closes it in `close()`.
   */
  journal?: Journal;
  /**
   * Router settings (breakers, retry, budget, attempt timeout, hedging), as `createFailover` takes
   * them, with one default of the store's own: `breaker.consecutiveFailures` is 3
   * (`MULTI_DEFAULTS.consecutiveFailures`; core's is 5), because only writes reach a failing cloud
   * (reads go to the clouds that hold the object), so each failed copy stands for about two
   * application calls; `breaker.consecutiveConnectFailures` stays 2.
   */
  failover?: Omit<FailoverOptions, 'targets'>;
  /** When repair runs by itself. */
  repair?: RepairOptions;
  /** Where stream bodies are kept while written. */
  spool?: SpoolOptions;
  /** How reads are verified. */
  reads?: ReadOptions;
  /** Detection of a target that lost its data, or `false` to turn it off. */
  amnesia?: AmnesiaOptions | false;
  /** Leaving a target that stays silent while its peers answer, or `false` to turn it off. */
  unresponsive?: UnresponsiveOptions | false;
  /** A fleet's write lease per key, or `false` to write without one (see {@link WriteLeaseOptions}). */
  writeLease?: WriteLeaseOptions | false;
  /**
   * This writer's id in versions (`[a-z0-9_-]`, 1 to 64 characters). Default: random per store.
   * Give each process its own.
   */
  writerId?: string;
  /**
   * The wall clock versions follow, in milliseconds since the epoch. Default `Date.now`. Versions
   * never go backwards whatever it returns, across restarts too (the store opens past the
   * journal's `newestVersion()`); give a trusted time source when this machine's clock may be far
   * off (in a fleet, each write also moves past the newest version any instance journaled for its
   * key, see docs/fleet.md).
   */
  now?: () => number;
  /** The store's name. Default `multi(<target names>)`. */
  name?: string;
}

/** The options after validation, defaults filled in. */
export interface ResolvedMultiOptions {
  readonly targets: readonly BlobStore[];
  readonly writes: WriteMode;
  /** Copies a write needs before it succeeds (`primary`: 1, `mirror`: every live target, at least 1). */
  readonly quorum: number | undefined;
  /** Copies enough for a degraded write when targets are down (`undefined`: no degraded writes). */
  readonly minimum: number | undefined;
  readonly journal: Journal | undefined;
  readonly failover: Omit<FailoverOptions, 'targets'>;
  readonly repairIntervalMs: number | undefined;
  readonly repairDelayMs: number | undefined;
  readonly repairConcurrency: number;
  /** The most copies a pass takes as it speeds up (>= `repairConcurrency`). */
  readonly repairMaxConcurrency: number;
  readonly repairOnRecovery: boolean;
  readonly settleMs: number;
  /** `undefined` when amnesia detection is off. */
  readonly amnesiaRecheckMs: number | undefined;
  /** Whether the journal's id is checked against the markers' (`amnesia.journal`; off with `amnesia: false`). */
  readonly amnesiaJournal: boolean;
  /** How long a fleet's lease on the reconcile after a journal reset lasts unrenewed (`amnesia.journalLeaseMs`). */
  readonly amnesiaJournalLeaseMs: number;
  /** `undefined` when unresponsive-target ejection is off. */
  readonly unresponsive: UnresponsiveLimits | undefined;
  /** `undefined` with `writeLease: false`. */
  readonly writeLease: WriteLeaseLimits | undefined;
  readonly spoolMemoryBytes: number;
  readonly spoolDir: string;
  readonly spoolReplay: boolean;
  readonly readBufferBytes: number;
  readonly writerId: string;
  readonly now: () => number;
  readonly name: string;
}

/** Defaults, for documentation and tests. */
export const MULTI_DEFAULTS = Object.freeze({
  repairIntervalMs: 30_000,
  repairDelayMs: 1_000,
  repairConcurrency: 4,
  repairMaxConcurrency: 32,
  settleMs: 10_000,
  amnesiaRecheckMs: 1_000,
  amnesiaJournalLeaseMs: 30_000,
  writeLeaseTtlMs: 5_000,
  writeLeaseWaitMs: 30_000,
  spoolMemoryBytes: 8 * 1024 * 1024,
  readBufferBytes: 64 * 1024,
  /** `unresponsive.afterMs`: above a slow cloud's latency (the bench's 300 ms), below the adapters' 2 s response bound. */
  unresponsiveAfterMs: 500,
  unresponsiveFactor: 4,
  unresponsiveStrikes: 3,
  /** `unresponsive.holdMs`: near a local cloud's own latency; a wrong hold costs a repair copy. */
  unresponsiveHoldMs: 20,
  /** `unresponsive.holdRequests`: one late copy holds a blackholed cloud within a few calls; a wrong hold costs a repair copy. */
  unresponsiveHoldRequests: 1,
  /**
   * The store's default `failover.breaker.consecutiveFailures`: a sick cloud is left after 3
   * failed copies in a row, which a put-then-get application reaches within 5 calls (only the puts
   * reach the sick cloud: each get reads a cloud that holds the object). Core's default, 5, counts
   * calls that all reach the first target.
   */
  consecutiveFailures: 3,
});

const DAY_MS = 86_400_000;
const WRITES_RULE = "'primary', 'mirror' or { quorum, minimum? }";
const JOURNAL_RULE = 'a Journal (createFileJournal({ dir }) or createMemoryJournal())';

/** Validates {@link MultiCloudStoreOptions}; throws `InvalidOptionError` naming the first bad option. */
export function resolveMultiOptions(options: MultiCloudStoreOptions): ResolvedMultiOptions {
  const r = readOptions(options);
  const targets = readTargets(r);
  const { writes, quorum, minimum } = readWrites(r, targets.length);
  const journal = r.check('journal', isJournal, JOURNAL_RULE);
  const failover = readFailover(r);
  const repair = r.object('repair');
  const repairIntervalMs = repair.msOrFalse('intervalMs', {
    min: 10,
    max: DAY_MS,
    default: MULTI_DEFAULTS.repairIntervalMs,
  });
  const repairDelayMs = repair.msOrFalse('delayMs', { max: DAY_MS, default: MULTI_DEFAULTS.repairDelayMs });
  const repairConcurrency = repair.int('concurrency', {
    min: 1,
    max: 256,
    default: MULTI_DEFAULTS.repairConcurrency,
  });
  const maxConcurrency = repair.int('maxConcurrency', { min: 1, max: 256 });
  if (maxConcurrency !== undefined && maxConcurrency < repairConcurrency) {
    repair.fail('maxConcurrency', `an integer from repair.concurrency (${repairConcurrency}) to 256`);
  }
  const repairMaxConcurrency =
    maxConcurrency ?? Math.max(repairConcurrency, MULTI_DEFAULTS.repairMaxConcurrency);
  const settleMs = repair.ms('settleMs', { max: 3_600_000, default: MULTI_DEFAULTS.settleMs });
  const repairOnRecovery = repair.bool('onRecovery', { default: true });
  repair.done();
  const spool = r.object('spool');
  const spoolMemoryBytes = spool.int('memoryBytes', {
    min: 0,
    max: 1024 ** 3,
    maxLabel: '1 GiB',
    default: MULTI_DEFAULTS.spoolMemoryBytes,
  });
  const spoolDir = spool.string('dir', { rule: 'a non-empty directory path' }) ?? tmpdir();
  const spoolReplay = spool.bool('replay', { default: true });
  spool.done();
  const reads = r.object('reads');
  const readBufferBytes = reads.int('bufferBytes', {
    min: 0,
    max: 256 * 1024 * 1024,
    maxLabel: '256 MiB',
    default: MULTI_DEFAULTS.readBufferBytes,
  });
  reads.done();
  const amnesia = r.objectOrFalse('amnesia');
  const amnesiaRecheckMs = amnesia?.ms('recheckMs', {
    max: 3_600_000,
    default: MULTI_DEFAULTS.amnesiaRecheckMs,
  });
  const amnesiaJournal = amnesia?.bool('journal', { default: true }) ?? false;
  const amnesiaJournalLeaseMs =
    amnesia?.ms('journalLeaseMs', {
      min: 10,
      max: 3_600_000,
      default: MULTI_DEFAULTS.amnesiaJournalLeaseMs,
    }) ?? MULTI_DEFAULTS.amnesiaJournalLeaseMs;
  amnesia?.done();
  const unresponsive = readUnresponsive(r);
  const lease = r.objectOrFalse('writeLease');
  const writeLease =
    lease === undefined
      ? undefined
      : Object.freeze({
          ttlMs: lease.ms('ttlMs', { min: 100, max: 3_600_000, default: MULTI_DEFAULTS.writeLeaseTtlMs }),
          waitMs: lease.ms('waitMs', { max: 3_600_000, default: MULTI_DEFAULTS.writeLeaseWaitMs }),
        });
  lease?.done();
  const writerId =
    r.string('writerId', { pattern: WRITER_ID, rule: '1 to 64 characters of a-z, 0-9, "_" or "-"' }) ??
    randomWriterId();
  const now = r.function<() => number>('now') ?? Date.now;
  const name = r.string('name', { default: `multi(${targets.map((t) => t.name).join(',')})` });
  r.done();
  return {
    targets,
    writes,
    quorum,
    minimum,
    journal,
    failover,
    repairIntervalMs,
    repairDelayMs,
    repairConcurrency,
    repairMaxConcurrency,
    repairOnRecovery,
    settleMs,
    amnesiaRecheckMs,
    amnesiaJournal,
    amnesiaJournalLeaseMs,
    unresponsive,
    writeLease,
    spoolMemoryBytes,
    spoolDir,
    spoolReplay,
    readBufferBytes,
    writerId,
    now,
    name,
  };
}

function readTargets(r: OptionsReader): readonly BlobStore[] {
  const targets = r.array('targets', {
    nonEmpty: true,
    of: 'BlobStores, in order of preference',
    required: true,
  });
  const names = new Set<string>();
  targets.forEach((t: unknown, i) => {
    const at = r.at('targets', i);
    if (!isBlobStore(t)) throw optionError(at, 'a BlobStore', t);
    if (names.has(t.name)) {
      throw new InvalidOptionError(
        at,
        `has the name "${t.name}" of another target; give each store its own \`name\``,
      );
    }
    names.add(t.name);
  });
  return Object.freeze([...(targets as BlobStore[])]);
}

function readWrites(
  r: OptionsReader,
  targetCount: number,
): { writes: WriteMode; quorum: number | undefined; minimum: number | undefined } {
  const value = r.value('writes');
  if (value === undefined) {
    const writes = targetCount >= 2 ? { quorum: 2, minimum: 1 } : { quorum: 1 };
    return { writes: Object.freeze(writes), quorum: writes.quorum, minimum: writes.minimum };
  }
  if (value === 'primary') return { writes: value, quorum: 1, minimum: undefined };
  if (value === 'mirror') return { writes: value, quorum: undefined, minimum: undefined };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) r.fail('writes', WRITES_RULE);
  const w = r.object('writes');
  const quorum = w.int('quorum', {
    min: 1,
    max: targetCount,
    maxLabel: 'the number of targets',
    required: true,
  });
  const minimum = w.int('minimum', { min: 1, max: quorum, maxLabel: w.at('quorum'), default: quorum });
  w.done();
  return { writes: value as WriteMode, quorum, minimum: minimum < quorum ? minimum : undefined };
}

/**
 * The router settings, checked here with core's reader so a bad value names `failover.<option>`,
 * with the store's own default for `breaker.consecutiveFailures` filled in.
 */
function readFailover(r: OptionsReader): Omit<FailoverOptions, 'targets'> {
  const failover = r.value('failover') ?? {};
  if (typeof failover === 'object' && failover !== null && 'targets' in failover) {
    r.object('failover').refuse('targets', 'is set by the store from `targets`; leave it out');
  }
  resolveFailover(failover, undefined, r.at('failover'));
  const given = failover as Omit<FailoverOptions, 'targets'>;
  const breaker = given.breaker ?? {};
  return {
    ...given,
    breaker: {
      ...breaker,
      consecutiveFailures: breaker.consecutiveFailures ?? MULTI_DEFAULTS.consecutiveFailures,
    },
  };
}

function readUnresponsive(r: OptionsReader): UnresponsiveLimits | undefined {
  const u = r.objectOrFalse('unresponsive');
  if (u === undefined) return undefined;
  const afterMs = u.ms('afterMs', { min: 10, max: 3_600_000, default: MULTI_DEFAULTS.unresponsiveAfterMs });
  const factor = u.number('factor', { min: 1, max: 1000, default: MULTI_DEFAULTS.unresponsiveFactor });
  const strikes = u.int('strikes', { min: 1, max: 1000, default: MULTI_DEFAULTS.unresponsiveStrikes });
  const holdMs = u.has('holdMs')
    ? u.msOrFalse('holdMs', { min: 1, max: 3_600_000 })
    : MULTI_DEFAULTS.unresponsiveHoldMs;
  const requests = u.int('holdRequests', {
    min: 1,
    max: 1000,
    default: MULTI_DEFAULTS.unresponsiveHoldRequests,
  });
  u.done();
  const hold = holdMs === undefined ? undefined : Object.freeze({ afterMs: holdMs, requests });
  return Object.freeze({ afterMs, factor, strikes, hold });
}

function isBlobStore(value: unknown): value is BlobStore {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.name === 'string' &&
    s.name !== '' &&
    ['put', 'get', 'head', 'exists', 'delete', 'list', 'copy'].every((m) => typeof s[m] === 'function')
  );
}
