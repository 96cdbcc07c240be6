import { randomBytes } from 'node:crypto';
import {
  checkJournalResolveArgs,
  checkJournalSettleArgs,
  HIGH_WATER_RETENTION_MS,
  type Journal,
  type JournalEntry,
  JournalError,
  type JournalHighWater,
  normalizeJournalEntry,
} from '@failover/storage';
import { redisCaller } from './client.js';
import {
  APPEND,
  BACKLOG,
  HAS_PENDING,
  HIGH_WATER,
  JOURNAL_ID,
  LEASE,
  LEASE_HOLDER,
  NEWEST_VERSION,
  PENDING_OF,
  PENDING_PAGE,
  PENDING_UNDER,
  RESOLVE,
  SETTLE_INTENT,
  UNLEASE,
} from './journal-lua.js';
import { type RedisJournalOptions, resolveRedisJournalOptions } from './journal-options.js';
import {
  entryOfRecord,
  fixedFields,
  highWaterOfRecord,
  splitReply,
  splitStepReply,
} from './journal-records.js';
import { type LuaScript, ScriptRunner } from './scripts.js';

/**
 * How many keys one step of {@link RedisJournal.pendingWithPrefix} scans (HSCAN's COUNT): about a
 * millisecond of the server's time per step, 200 steps for a backlog of a million keys.
 */
const PREFIX_SCAN_FIELDS = 5000;

/**
 * How many entries one page of {@link RedisJournal.pending} reads: a few milliseconds of the
 * server's time per page.
 */
const PENDING_PAGE_ENTRIES = 2000;

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
  const { client, timeoutMs, name, keys, instanceId, leaseKey, highWaterKey } =
    resolveRedisJournalOptions(options);
  const makeError = (kind: JournalError['kind'], message: string, cause: unknown) =>
    new JournalError(kind, message, { cause, target: name });
  const scripts = new ScriptRunner(
    redisCaller(client, timeoutMs, `Journal ${JSON.stringify(name)}`, makeError),
  );
  let backlog = 0;
  let closed = false;

  const whenOpen = <T>(run: () => Promise<T>): Promise<T> => {
    if (closed)
      return Promise.reject(
        new JournalError('unavailable', `Journal ${JSON.stringify(name)} is closed`, { target: name }),
      );
    try {
      return run();
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const setBacklog = (value: unknown): number => {
    const n = Number(value);
    if (Number.isFinite(n)) backlog = Math.max(0, n);
    return backlog;
  };
  const readEntries = async (reply: Promise<unknown>): Promise<JournalEntry[]> => {
    const { backlog: count, records } = splitReply(await reply);
    setBacklog(count);
    return records.map((raw) => entryOfRecord(raw, name));
  };

  /**
   * A read in short steps, a script each: `args(from)` for the step that goes on from `from`
   * (`'0'` first), until a step answers `last` as where to go on. Each entry is named once, at its
   * last place (a step may name one again: an entry appended again under its id, a key HSCAN
   * returns twice).
   */
  const readSteps = async (
    script: LuaScript,
    args: (from: string) => string[],
    last: string,
  ): Promise<JournalEntry[]> => {
    const byId = new Map<string, JournalEntry>();
    for (let from = '0'; ; ) {
      const step = splitStepReply(await scripts.run(script, keys, args(from)));
      setBacklog(step.backlog);
      for (const raw of step.records) {
        const e = entryOfRecord(raw, name);
        byId.delete(e.id);
        byId.set(e.id, e);
      }
      if (step.next === last) return [...byId.values()];
      from = step.next;
    }
  };

  /**
   * Every pending entry, oldest first, read in pages of {@link PENDING_PAGE_ENTRIES} after the
   * last append sequence read (a page answers `''` after the last). An entry appended again under
   * its id meanwhile (a new sequence) is named once, at its later place; one resolved or
   * superseded after its page was read is named as it was then, as a lookup made a moment earlier
   * would have.
   */
  const readPages = (): Promise<JournalEntry[]> =>
    readSteps(PENDING_PAGE, (after) => [after, String(PENDING_PAGE_ENTRIES)], '');

  return {
    name,
    open: () => whenOpen(async () => void setBacklog(await scripts.run(BACKLOG, keys, []))),
    append: (entry: JournalEntry) =>
      whenOpen(async () => {
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
        setBacklog(await scripts.run(APPEND, [...keys, highWaterKey(e.key)], args));
      }),
    resolve: (id: string, target: string) =>
      whenOpen(async () => {
        checkJournalResolveArgs(id, target);
        setBacklog(await scripts.run(RESOLVE, keys, [id, target]));
      }),
    pending: () => whenOpen(readPages),
    pendingOf: (key: string) =>
      whenOpen(() => {
        if (typeof key !== 'string' || key === '') {
          return Promise.reject(
            new JournalError('invalid', 'pendingOf: key must be a non-empty string', { target: name }),
          );
        }
        return readEntries(scripts.run(PENDING_OF, keys, [key]));
      }),
    pendingWithPrefix: (prefix: string) =>
      whenOpen(async () => {
        if (typeof prefix !== 'string') {
          throw new JournalError('invalid', 'pendingWithPrefix: prefix must be a string', { target: name });
        }
        if (prefix === '') return readPages();
        // HSCAN steps over the key hash (its cursor is `'0'` again after the last).
        const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
        return readSteps(
          PENDING_UNDER,
          (cursor) => [prefix, cursor, String(PREFIX_SCAN_FIELDS), pattern],
          '0',
        );
      }),
    hasPending: (key: string) =>
      whenOpen(async () => {
        if (typeof key !== 'string' || key === '') {
          throw new JournalError('invalid', 'hasPending: key must be a non-empty string', { target: name });
        }
        return Number(await scripts.run(HAS_PENDING, keys, [key])) === 1;
      }),
    highWater: (key: string) =>
      whenOpen(async () => {
        if (typeof key !== 'string' || key === '') {
          throw new JournalError('invalid', 'highWater: key must be a non-empty string', { target: name });
        }
        const raw = await scripts.run(HIGH_WATER, [highWaterKey(key)], []);
        return raw === null || raw === undefined ? undefined : highWaterOfRecord(raw, name);
      }),
    settleIntent: (id: string, how: 'withdraw' | 'confirm') =>
      whenOpen(async () => {
        checkJournalSettleArgs(id, how);
        const reply = Number(
          await scripts.run(SETTLE_INTENT, keys, [
            id,
            how,
            highWaterKey(''),
            String(HIGH_WATER_RETENTION_MS),
          ]),
        );
        if (reply < 0) return false;
        setBacklog(reply);
        return true;
      }),
    // Kept in Redis by every instance's appends: the newest version the whole fleet stamped.
    newestVersion: () =>
      whenOpen(async () => {
        const raw = await scripts.run<unknown>(NEWEST_VERSION, keys, []);
        return raw === null || raw === undefined ? undefined : String(raw);
      }),
    // Created once by the first instance to ask; every instance of the fleet reads the same one.
    journalId: () =>
      whenOpen(async () =>
        String(await scripts.run<unknown>(JOURNAL_ID, keys, [randomBytes(16).toString('hex')])),
      ),
    refreshBacklog: () => whenOpen(async () => setBacklog(await scripts.run(BACKLOG, keys, []))),
    lease: (objectKeys: readonly string[], ttlMs = 30_000) =>
      whenOpen(async () => {
        const list = checkKeys(objectKeys, name);
        if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
          throw new JournalError('invalid', 'lease: ttlMs must be a positive integer', { target: name });
        }
        if (list.length === 0) return [];
        const got = await scripts.run<unknown[]>(LEASE, list.map(leaseKey), [instanceId, String(ttlMs)]);
        return list.filter((_, i) => Number(got[i]) === 1);
      }),
    release: (objectKeys: readonly string[]) =>
      whenOpen(async () => {
        const list = checkKeys(objectKeys, name);
        if (list.length > 0) await scripts.run(UNLEASE, list.map(leaseKey), [instanceId]);
      }),
    repairLeased: (objectKey: string) =>
      whenOpen(async () => {
        const [key] = checkKeys([objectKey], name);
        const holder = await scripts.run<unknown>(LEASE_HOLDER, [leaseKey(key!)], []);
        return holder !== null && holder !== undefined && String(holder) !== instanceId;
      }),
    backlog: () => backlog,
    // Redis holds only pending entries: there is nothing to compact.
    compact: () => whenOpen(async () => undefined),
    close: async () => {
      closed = true;
    },
  };
}

function checkKeys(keys: unknown, name: string): string[] {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || k === '')) {
    throw new JournalError('invalid', 'keys must be an array of non-empty strings', { target: name });
  }
  return [...new Set(keys as string[])];
}
