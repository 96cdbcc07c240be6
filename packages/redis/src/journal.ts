import { randomBytes } from 'node:crypto';
import {
  checkJournalResolveArgs,
  checkJournalSettleArgs,
  HIGH_WATER_RETENTION_MS,
  type Journal,
  type JournalEntry,
  type JournalHighWater,
  normalizeJournalEntry,
  type WriteLeaseAnswer,
} from '@failover/storage';
import { journalLeases } from './journal-leases.js';
import {
  APPEND,
  BACKLOG,
  HAS_PENDING,
  HIGH_WATER,
  JOURNAL_ID,
  NEWEST_VERSION,
  PENDING_OF,
  PENDING_UNDER,
  RESOLVE,
  SETTLE_INTENT,
} from './journal-lua.js';
import { type RedisJournalOptions, resolveRedisJournalOptions } from './journal-options.js';
import { fixedFields, highWaterOfRecord } from './journal-records.js';
import { RedisJournalSession } from './journal-session.js';

/**
 * How many keys one step of {@link RedisJournal.pendingWithPrefix} scans (HSCAN's COUNT): about a
 * millisecond of the server's time per step, 200 steps for a backlog of a million keys.
 */
const PREFIX_SCAN_FIELDS = 5000;

/**
 * A {@link Journal} kept in Redis and shared by every instance of an application that uses the
 * same prefix; see {@link createRedisJournal}.
 */
export interface RedisJournal extends Journal {
  /** The journal's name (errors' `target`). */
  readonly name: string;
  /**
   * The pending entries of one key, oldest first, as the whole fleet sees them now (one Redis
   * round trip). For fleet-wide read-your-writes: a store asks it for keys it must not read stale.
   */
  pendingOf(key: string): Promise<JournalEntry[]>;
  /**
   * The pending entries whose key starts with `prefix`, as the whole fleet sees them (each key's
   * oldest first; `''`: every entry, as {@link Journal.pending}). Read in short steps of
   * {@link PREFIX_SCAN_FIELDS} keys each, so a big backlog never blocks Redis for long and a
   * listing of a narrow prefix costs its keys, not the whole backlog. See
   * {@link Journal.pendingWithPrefix}.
   */
  pendingWithPrefix(prefix: string): Promise<JournalEntry[]>;
  /**
   * Whether `key` has a pending entry anywhere in the fleet now (one small Redis round trip, in
   * order with this journal's other calls). The strict check for read-your-writes; see also
   * `watchPendingKeys` for a check without a round trip.
   */
  hasPending(key: string): Promise<boolean>;
  /**
   * Reads the fleet-wide backlog from Redis and returns it; {@link Journal.backlog} then answers
   * with it. Other instances' appends and resolves change the backlog between calls.
   */
  refreshBacklog(): Promise<number>;
  /**
   * Leases object keys for repair, fleet-wide, so that no object is copied by two instances at
   * once: returns the keys this instance got (a key leased by another live instance is left out).
   * A lease lasts `ttlMs` (default 30 000); leasing a key again extends it; a holder killed
   * mid-repair loses its leases when they expire, and another instance takes the work over.
   */
  lease(keys: readonly string[], ttlMs?: number): Promise<string[]>;
  /** Gives back leases this instance holds (after repairing the keys). Others' leases are untouched. */
  release(keys: readonly string[]): Promise<void>;
  /**
   * Whether another instance holds a repair lease on `key` now (one small round trip, in order
   * with this journal's other calls). See {@link Journal.repairLeased}.
   */
  repairLeased(key: string): Promise<boolean>;
  /**
   * Takes (or renews) the write lease of `key` under `token` for `ttlMs`, fleet-wide, and reads
   * the key's high-water mark in the same script (one small round trip): the multi-cloud store
   * takes it before it chooses a write's version and gives it back once every copy of the write
   * settled, so the writes of one key by two instances are made one after the other. Another
   * token's lease is refused with the ms left on it. See {@link Journal.leaseWrite}.
   */
  leaseWrite(key: string, token: string, ttlMs: number): Promise<WriteLeaseAnswer>;
  /** Gives back the write lease of `key` when `token` holds it. See {@link Journal.releaseWrite}. */
  releaseWrite(key: string, token: string): Promise<void>;
  /**
   * The newest write any instance appended for `key` (its high-water mark, kept in Redis for
   * `HIGH_WATER_RETENTION_MS` after the key's last append, pending or not); one small round trip.
   * See {@link Journal.highWater}.
   */
  highWater(key: string): Promise<JournalHighWater | undefined>;
  /**
   * The newest version any instance ever appended under this prefix (one small round trip; kept
   * in Redis as long as the journal's own keys). See {@link Journal.newestVersion}.
   */
  newestVersion(): Promise<string | undefined>;
  /**
   * The journal's identity, shared by every instance (one small round trip): a random id the first
   * instance to ask stores in the `{prefix}:meta` hash (HSETNX). A Redis that lost its data (a
   * restart without persistence, a failover to a replica that did not have it) answers with a new
   * one, and the multi-cloud store reconciles. See {@link Journal.journalId}.
   */
  journalId(): Promise<string>;
}

/**
 * Creates a replication journal in Redis over the application's own node-redis or ioredis client: the same
 * interface and rules as the file journal (a newer version supersedes older ones, tombstones,
 * out-of-order appends, same-id replace, backlog), each call one Lua script run atomically on the
 * server (EVALSHA, falling back to EVAL when the server lost its script cache), pipelined and
 * applied in the order the calls are made. Every instance that uses the same `prefix` shares the
 * journal: what one instance appends, any other can repair.
 *
 * Durability is Redis's: an `append` resolves once Redis answered, which with
 * `appendonly yes` + `appendfsync always` means the entry is on Redis's disk; with the common
 * `appendfsync everysec` a crash of the Redis machine can lose the last second of entries; without
 * AOF a Redis restart loses the whole journal. See docs/fleet.md.
 *
 * Every call has its own timeout (`timeoutMs`, default 1 s): a slow or unreachable Redis rejects
 * with a `JournalError` (`kind: 'timeout'` or `'unavailable'`), never hangs. A call that timed out
 * may still take effect later (appends and resolves are idempotent, so a retry is safe; see
 * docs/fleet.md, "A command that arrives late"). With an ioredis client, a call is handed to it only
 * while its connection is ready: one made while the connection is lost rejects at once with
 * `kind: 'unavailable'` and is never queued for later.
 * `backlog()` answers from memory: the fleet-wide count as of this instance's last call.
 * `close()` does not close the client (the application owns it).
 *
 * @example
 * import { createClient } from 'redis';
 * import { createRedisJournal } from '@failover/redis';
 *
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * // or, with ioredis: const client = new Redis('redis://127.0.0.1:6379');
 * const journal = createRedisJournal({ client, prefix: 'photos-app:journal' });
 * await journal.open?.();
 * console.log(journal.backlog());
 */
export function createRedisJournal(options: RedisJournalOptions): RedisJournal {
  const session: RedisJournalSession = new RedisJournalSession(resolveRedisJournalOptions(options));
  const { name, highWaterKey } = session.options;
  const open = session.whenOpen.bind(session);
  return {
    name,
    open: () => open(async () => void session.setBacklog(await session.run(BACKLOG, []))),
    append: (entry: JournalEntry) =>
      open(async () => {
        const e = normalizeJournalEntry(entry);
        const args = [
          fixedFields(e),
          e.id,
          e.key,
          e.version,
          JSON.stringify(e.holders),
          JSON.stringify(e.missing),
          e.intent === true ? '1' : '0',
          String(HIGH_WATER_RETENTION_MS),
        ];
        session.setBacklog(await session.run(APPEND, args, [...session.options.keys, highWaterKey(e.key)]));
      }),
    resolve: (id: string, target: string) =>
      open(async () => {
        checkJournalResolveArgs(id, target);
        session.setBacklog(await session.run(RESOLVE, [id, target]));
      }),
    pending: () => open(() => session.readPages()),
    pendingOf: (key: string) =>
      open(() => {
        session.checkKey('pendingOf', key);
        return session.readEntries(session.run(PENDING_OF, [key]));
      }),
    pendingWithPrefix: (prefix: string) =>
      open(async () => {
        if (typeof prefix !== 'string')
          throw session.error('invalid', 'pendingWithPrefix: prefix must be a string');
        if (prefix === '') return session.readPages();
        // HSCAN steps over the key hash (its cursor is `'0'` again after the last).
        const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
        return session.readSteps(
          PENDING_UNDER,
          (cursor) => [prefix, cursor, String(PREFIX_SCAN_FIELDS), pattern],
          '0',
        );
      }),
    hasPending: (key: string) =>
      open(async () => {
        session.checkKey('hasPending', key);
        return Number(await session.run(HAS_PENDING, [key])) === 1;
      }),
    highWater: (key: string) =>
      open(async () => {
        session.checkKey('highWater', key);
        const raw = await session.run(HIGH_WATER, [], [highWaterKey(key)]);
        return raw === null || raw === undefined ? undefined : highWaterOfRecord(raw, name);
      }),
    settleIntent: (id: string, how: 'withdraw' | 'confirm') =>
      open(async () => {
        checkJournalSettleArgs(id, how);
        const args = [id, how, highWaterKey(''), String(HIGH_WATER_RETENTION_MS)];
        const reply = Number(await session.run(SETTLE_INTENT, args));
        if (reply < 0) return false;
        session.setBacklog(reply);
        return true;
      }),
    // Kept in Redis by every instance's appends: the newest version the whole fleet stamped.
    newestVersion: () =>
      open(async () => {
        const raw = await session.run<unknown>(NEWEST_VERSION, []);
        return raw === null || raw === undefined ? undefined : String(raw);
      }),
    // Created once by the first instance to ask; every instance of the fleet reads the same one.
    journalId: () =>
      open(async () => String(await session.run<unknown>(JOURNAL_ID, [randomBytes(16).toString('hex')]))),
    refreshBacklog: () => open(async () => session.setBacklog(await session.run(BACKLOG, []))),
    ...journalLeases(session),
    backlog: () => session.backlog,
    // Redis holds only pending entries: there is nothing to compact.
    compact: () => open(async () => undefined),
    close: async () => {
      session.closed = true;
    },
  };
}
