import { tmpdir } from 'node:os';
import { type FailoverOptions, InvalidOptionError, resolveOptions as resolveFailover } from '@failover/core';
import type { Journal } from '../journal/types.js';
import type { BlobStore } from '../types.js';
import { randomWriterId, WRITER_ID } from './version.js';

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
  /** Copies (or deletes) a pass runs at once. Default 4; 1 to 256. */
  concurrency?: number;
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

/** Where a stream body is kept while it is written (so it can be sent again). */
export interface SpoolOptions {
  /** Bytes kept in memory; a larger body goes to a temporary file. Default 8 MiB; 0 to 1 GiB. */
  memoryBytes?: number;
  /** Directory of the temporary files. Default `os.tmpdir()`. */
  dir?: string;
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
 */
export interface AmnesiaOptions {
  /**
   * A "not found" from a target is trusted only when its marker was seen within this many ms;
   * otherwise the marker is checked first (one cheap `head`, shared by concurrent reads).
   * Default 1000; 0 to 3600000.
   */
  recheckMs?: number;
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
  /** Router settings (breakers, retry, budget, attempt timeout, hedging), as `createFailover` takes them. */
  failover?: Omit<FailoverOptions, 'targets'>;
  /** When repair runs by itself. */
  repair?: RepairOptions;
  /** Where stream bodies are kept while written. */
  spool?: SpoolOptions;
  /** How reads are verified. */
  reads?: ReadOptions;
  /** Detection of a target that lost its data, or `false` to turn it off. */
  amnesia?: AmnesiaOptions | false;
  /**
   * This writer's id in versions (`[a-z0-9_-]`, 1 to 64 characters). Default: random per store.
   * Give each process its own.
   */
  writerId?: string;
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
  readonly repairOnRecovery: boolean;
  readonly settleMs: number;
  /** `undefined` when amnesia detection is off. */
  readonly amnesiaRecheckMs: number | undefined;
  readonly spoolMemoryBytes: number;
  readonly spoolDir: string;
  readonly readBufferBytes: number;
  readonly writerId: string;
  readonly name: string;
}

/** Defaults, for documentation and tests. */
export const MULTI_DEFAULTS = Object.freeze({
  repairIntervalMs: 30_000,
  repairDelayMs: 1_000,
  repairConcurrency: 4,
  settleMs: 10_000,
  amnesiaRecheckMs: 1_000,
  spoolMemoryBytes: 8 * 1024 * 1024,
  readBufferBytes: 64 * 1024,
});

const DAY_MS = 86_400_000;

/** Validates {@link MultiCloudStoreOptions}; throws `InvalidOptionError` naming the first bad option. */
export function resolveMultiOptions(options: MultiCloudStoreOptions): ResolvedMultiOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'must be an object with `targets`');
  }
  const targets = checkTargets(options.targets);
  const writes: WriteMode =
    options.writes ??
    (targets.length >= 2 ? Object.freeze({ quorum: 2, minimum: 1 }) : Object.freeze({ quorum: 1 }));
  let quorum: number | undefined;
  let minimum: number | undefined;
  if (writes === 'primary') quorum = 1;
  else if (writes === 'mirror') quorum = undefined;
  else if (typeof writes === 'object' && writes !== null && 'quorum' in writes) {
    const n = writes.quorum;
    if (!Number.isInteger(n) || n < 1 || n > targets.length) {
      throw new InvalidOptionError(
        'writes.quorum',
        `must be an integer from 1 to the number of targets (${targets.length})`,
      );
    }
    quorum = n;
    const m = writes.minimum ?? n;
    if (!Number.isInteger(m) || m < 1 || m > n) {
      throw new InvalidOptionError('writes.minimum', `must be an integer from 1 to writes.quorum (${n})`);
    }
    for (const k of Object.keys(writes)) {
      if (k !== 'quorum' && k !== 'minimum') {
        throw new InvalidOptionError(`writes.${k}`, 'is not an option (known: quorum, minimum)');
      }
    }
    minimum = m < n ? m : undefined;
  } else {
    throw new InvalidOptionError('writes', "must be 'primary', 'mirror' or { quorum: n }");
  }
  const journal = options.journal;
  if (journal !== undefined && !isJournal(journal)) {
    throw new InvalidOptionError(
      'journal',
      'must be a Journal (createFileJournal({ dir }) or createMemoryJournal())',
    );
  }
  const failover = options.failover ?? {};
  if (failover === null || typeof failover !== 'object') {
    throw new InvalidOptionError('failover', 'must be an object of createFailover options');
  }
  if ('targets' in failover) {
    throw new InvalidOptionError('failover.targets', 'is set by the store from `targets`; leave it out');
  }
  // Checked here so a bad value names `failover.<option>`; the router checks again.
  try {
    resolveFailover({ ...failover, targets: [{ name: 'check' }] } as FailoverOptions);
  } catch (err) {
    if (err instanceof InvalidOptionError) {
      throw new InvalidOptionError(
        `failover.${err.option}`,
        err.message.replace(/^Invalid option "[^"]*": /, ''),
      );
    }
    throw err;
  }
  const repair = options.repair ?? {};
  const repairIntervalMs = optionalMs(
    repair.intervalMs,
    'repair.intervalMs',
    MULTI_DEFAULTS.repairIntervalMs,
    10,
  );
  const repairDelayMs = optionalMs(repair.delayMs, 'repair.delayMs', MULTI_DEFAULTS.repairDelayMs, 0);
  const repairConcurrency = int(
    repair.concurrency,
    'repair.concurrency',
    MULTI_DEFAULTS.repairConcurrency,
    1,
    256,
  );
  const settleMs = int(repair.settleMs, 'repair.settleMs', MULTI_DEFAULTS.settleMs, 0, 3_600_000);
  const repairOnRecovery = repair.onRecovery ?? true;
  if (typeof repairOnRecovery !== 'boolean')
    throw new InvalidOptionError('repair.onRecovery', 'must be a boolean');
  const spool = options.spool ?? {};
  const spoolMemoryBytes = int(
    spool.memoryBytes,
    'spool.memoryBytes',
    MULTI_DEFAULTS.spoolMemoryBytes,
    0,
    1024 ** 3,
  );
  const spoolDir = spool.dir ?? tmpdir();
  if (typeof spoolDir !== 'string' || spoolDir === '') {
    throw new InvalidOptionError('spool.dir', 'must be a non-empty directory path');
  }
  const readBufferBytes = int(
    options.reads?.bufferBytes,
    'reads.bufferBytes',
    MULTI_DEFAULTS.readBufferBytes,
    0,
    256 * 1024 * 1024,
  );
  const amnesia = options.amnesia ?? {};
  let amnesiaRecheckMs: number | undefined;
  if (amnesia !== false) {
    if (amnesia === null || typeof amnesia !== 'object') {
      throw new InvalidOptionError('amnesia', 'must be an object ({ recheckMs }) or false');
    }
    amnesiaRecheckMs = int(
      amnesia.recheckMs,
      'amnesia.recheckMs',
      MULTI_DEFAULTS.amnesiaRecheckMs,
      0,
      3_600_000,
    );
  }
  const writerId = options.writerId ?? randomWriterId();
  if (typeof writerId !== 'string' || !WRITER_ID.test(writerId)) {
    throw new InvalidOptionError('writerId', 'must be 1 to 64 characters of a-z, 0-9, "_" or "-"');
  }
  const name = options.name ?? `multi(${targets.map((t) => t.name).join(',')})`;
  if (typeof name !== 'string' || name === '')
    throw new InvalidOptionError('name', 'must be a non-empty string');
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
    repairOnRecovery,
    settleMs,
    amnesiaRecheckMs,
    spoolMemoryBytes,
    spoolDir,
    readBufferBytes,
    writerId,
    name,
  };
}

function checkTargets(targets: unknown): readonly BlobStore[] {
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new InvalidOptionError(
      'targets',
      'must be a non-empty array of BlobStores, in order of preference',
    );
  }
  const names = new Set<string>();
  targets.forEach((t: unknown, i) => {
    if (!isBlobStore(t)) throw new InvalidOptionError(`targets[${i}]`, 'must be a BlobStore');
    if (names.has(t.name)) {
      throw new InvalidOptionError(
        `targets[${i}]`,
        `has the name "${t.name}" of another target; give each store its own \`name\``,
      );
    }
    names.add(t.name);
  });
  return Object.freeze([...(targets as BlobStore[])]);
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

function isJournal(value: unknown): value is Journal {
  if (value === null || typeof value !== 'object') return false;
  const j = value as Record<string, unknown>;
  return ['append', 'resolve', 'pending', 'backlog', 'compact', 'close'].every(
    (m) => typeof j[m] === 'function',
  );
}

function optionalMs(
  value: number | false | undefined,
  option: string,
  fallback: number,
  min: number,
): number | undefined {
  if (value === false) return undefined;
  return int(value, option, fallback, min, DAY_MS);
}

function int(value: number | undefined, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}
