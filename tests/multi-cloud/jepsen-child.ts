/**
 * The writer process of the Jepsen-style soak (run by jepsen.ts with `node --import tsx`; started
 * ahead as a warm standby, it opens its store when the parent sends `start`): a multi-cloud store
 * with default write options over the three local clouds (through their fault proxies) and a file
 * journal, or in fleet mode one app instance of several sharing a Redis journal and breaker state
 * (`ChildConfig.fleet`). It makes the calls the parent asks for over IPC and reports each one's
 * invocation (before the call, once the message is handed to the OS) and its completion. The
 * parent SIGKILLs it at random points and starts it again on the same journal directory.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyFailure } from '@failover/core';
import {
  createFileJournal,
  createMultiCloudStore,
  isPrefixEntry,
  type Journal,
  type MultiCloudEventName,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  readAll,
} from '@failover/storage';
import { installFaultDns, setDnsFault } from '@failover/testkit';
import { storesOf } from './child-stores.js';
import { openFleetInstance } from './fleet-instance.js';
import { bodyFor, sha256 } from './jepsen-data.js';
import type {
  ChildConfig,
  FromChild,
  OpRequest,
  ReadResult,
  SettleReport,
  ToChild,
} from './jepsen-protocol.js';
import { testFailover } from './test-failover.js';

function send(message: FromChild): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

async function openStore(config: ChildConfig): Promise<MultiCloudStore> {
  installFaultDns(); // `*.failover.test` resolves to 127.0.0.1 unless the parent says it fails
  for (const host of config.failingDns) setDnsFault(host, true);
  if (config.fleet !== undefined) {
    // One instance of a fleet: the Redis journal shared with the others (a local file journal as
    // its fallback while Redis is away) and breakers shared through Redis.
    const instance = await openFleetInstance(storesOf(config), {
      redisUrl: config.fleet.redisUrl,
      journalPrefix: config.fleet.journalPrefix,
      fleetPrefix: config.fleet.fleetPrefix,
      journalDir: config.journalDir,
      spoolDir: config.spoolDir,
      autoRepair: true,
      id: config.fleet.instanceId,
      failover: testFailover(config.attemptTimeoutMs),
      ...(config.fleet.clockSkewMs === undefined ? {} : { clockSkewMs: config.fleet.clockSkewMs }),
      store: soakStoreOptions(),
    });
    journal = instance.journal;
    closeStore = () => instance.close();
    return instance.store;
  }
  journal = createFileJournal({ dir: config.journalDir });
  const store = createMultiCloudStore({
    targets: storesOf(config),
    // Default write mode on purpose: { quorum: 2, minimum: 1 }, and default repair.settleMs.
    journal,
    failover: testFailover(config.attemptTimeoutMs),
    repair: { intervalMs: 1000, delayMs: 50 },
    spool: { memoryBytes: 64 * 1024, dir: config.spoolDir },
    ...soakStoreOptions(),
  });
  closeStore = () => store.close();
  return store;
}

/**
 * Store options a run may change, in both modes: by default the default write mode and the
 * default reads (objects above 64 KiB are streamed and verified as they end, a cut stream resumed
 * on another cloud). JEPSEN_READ_BUFFER sets `reads.bufferBytes` (the soak used 1 MiB, every
 * object read whole, until stop 51); JEPSEN_WRITES sets `writes`: `primary`, `mirror`, or a
 * quorum (`2`). `'primary'` keeps the loss window it documents: run it without wipes
 * (`JEPSEN_AMNESIA=0`).
 */
function soakStoreOptions(): Pick<MultiCloudStoreOptions, 'writes' | 'reads'> {
  const buffer = process.env.JEPSEN_READ_BUFFER;
  const writes = process.env.JEPSEN_WRITES;
  const mode: MultiCloudStoreOptions['writes'] =
    writes === 'primary' || writes === 'mirror' ? writes : { quorum: Number(writes) };
  return {
    ...(buffer === undefined ? {} : { reads: { bufferBytes: Number(buffer) } }),
    ...(writes === undefined ? {} : { writes: mode }),
  };
}

/** Closes the store (and, in fleet mode, the instance's Redis client and fleet health). */
let closeStore: () => Promise<void> = async () => undefined;

let opened: MultiCloudStore | undefined;

/** The store, once `start` opened it. */
function theStore(): MultiCloudStore {
  if (opened === undefined) throw new Error('jepsen child: a call before start');
  return opened;
}

async function start(config: ChildConfig): Promise<void> {
  const store = await openStore(config);
  const forward = (name: MultiCloudEventName, as: string): void => {
    store.on(name, (e: object) => {
      void send({ type: 'event', name: as, detail: JSON.stringify(e) }).catch(() => undefined);
    });
  };
  for (const name of ['degraded', 'lost', 'amnesia', 'conflict', 'integrityError', 'journalReset'] as const)
    forward(name, name);
  // JEPSEN_TRACE_BREAKERS=1, for a post-mortem of failed calls: each breaker's transitions too.
  if (process.env.JEPSEN_TRACE_BREAKERS === '1') {
    for (const name of ['open', 'halfOpen', 'close', 'panic'] as const) forward(name, `breaker:${name}`);
    traceJournalAway();
  }
  opened = store;
  // Opens the journal and reads (or, on new buckets, creates) the epoch markers at once.
  store.repair().catch(() => undefined);
  void send({ type: 'ready', writerId: store.status().name });
}

/**
 * For a post-mortem (JEPSEN_TRACE_BREAKERS=1): when this instance's fallback journal takes Redis
 * for away and back (`journal:away`, `journal:back`), polled every 10 ms, so that a stale read can
 * be told from the window the fleet's guarantee allows.
 */
function traceJournalAway(): void {
  const j = journal as (Journal & { primaryAway?: () => boolean }) | undefined;
  if (j?.primaryAway === undefined) return;
  traceSlowLookups(j, j.primaryAway);
  let away = false;
  setInterval(() => {
    const now = j.primaryAway!();
    if (now === away) return;
    away = now;
    void send({ type: 'event', name: now ? 'journal:away' : 'journal:back', detail: '{}' }).catch(
      () => undefined,
    );
  }, 10).unref();
}

/**
 * For a post-mortem (JEPSEN_TRACE_BREAKERS=1): the shared journal's lookups (`pending`, as a
 * listing makes, and `pendingOf`, as a read makes) that took longer than the store waits for them
 * (`journal:slow`, with the time taken), failed (`journal:failed`), or were answered while the
 * fallback journal took Redis for away (`journal:partial`): a listing or read then went on with
 * this process's own view. The wrapper times the call the store makes; it changes nothing else.
 */
function traceSlowLookups(j: Journal, away: () => boolean): void {
  const wrap = <A extends unknown[], R>(
    name: 'pending' | 'pendingOf',
    waitMs: number,
    call: (...args: A) => Promise<R>,
  ): ((...args: A) => Promise<R>) => {
    return async (...args: A) => {
      const awayBefore = away();
      const started = performance.now();
      const detail = (extra: object): string =>
        JSON.stringify({ call: name, key: args[0], awayBefore, awayAfter: away(), ...extra });
      try {
        const r = await call(...args);
        const ms = Math.round(performance.now() - started);
        if (ms > waitMs)
          void send({ type: 'event', name: 'journal:slow', detail: detail({ ms }) }).catch(() => undefined);
        else if (awayBefore || away())
          void send({ type: 'event', name: 'journal:partial', detail: detail({ ms }) }).catch(
            () => undefined,
          );
        return r;
      } catch (err) {
        const ms = Math.round(performance.now() - started);
        const message = err instanceof Error ? err.message : String(err);
        void send({ type: 'event', name: 'journal:failed', detail: detail({ ms, message }) }).catch(
          () => undefined,
        );
        throw err;
      }
    };
  };
  j.pending = wrap('pending', 1000, j.pending.bind(j));
  if (j.pendingOf !== undefined) j.pendingOf = wrap('pendingOf', 250, j.pendingOf.bind(j));
}

async function read(key: string): Promise<ReadResult> {
  let got: Awaited<ReturnType<MultiCloudStore['get']>>;
  try {
    got = await theStore().get(key);
  } catch (err) {
    if (classifyFailure(err) === 'not_found') return { found: false };
    throw err;
  }
  const bytes = await readAll(got.body);
  return { found: true, sha256: sha256(bytes), version: got.info.version };
}

async function list(prefix: string): Promise<{ keys: string[]; listedFrom: Record<string, string> }> {
  const keys: string[] = [];
  const listedFrom: Record<string, string> = {};
  for await (const e of theStore().list({ prefix, pageSize: 5 })) {
    if (isPrefixEntry(e)) continue;
    keys.push(e.key);
    listedFrom[e.key] = e.target;
  }
  return { keys, listedFrom };
}

async function perform(req: OpRequest): Promise<FromChild> {
  switch (req.op) {
    case 'put': {
      const bytes = bodyFor(req.key, req.seq, req.size);
      const body = req.stream ? Readable.from(chunks(bytes)) : bytes;
      const info = await theStore().put(req.key, body, { contentType: 'application/x-jepsen' });
      return { type: 'ok', id: req.id, version: info.version };
    }
    case 'delete':
      await theStore().delete(req.key);
      return { type: 'ok', id: req.id };
    case 'get':
      return { type: 'ok', id: req.id, read: await read(req.key) };
    case 'list':
      return { type: 'ok', id: req.id, ...(await list(req.prefix)) };
  }
}

function* chunks(bytes: Buffer, size = 16 * 1024): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function run(req: OpRequest): Promise<void> {
  await send({ type: 'invoke', id: req.id });
  let done: FromChild;
  try {
    done = await perform(req);
  } catch (err) {
    done = { type: 'fail', id: req.id, kind: classifyFailure(err), message: describe(err) };
  }
  await send(done);
}

/** An error's message, with each target's failure when it lists them (quorum, all targets failed). */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const failures = (err as { failures?: { target: string; kind: string; cause?: unknown }[] }).failures;
  const detail = Array.isArray(failures)
    ? failures.map(
        (f) => `${f.target} ${f.kind}: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}`,
      )
    : [];
  return [message, ...detail].join(' | ').slice(0, 600);
}

/** Repair (and the amnesia restores) until nothing is pending, or `deadline`. */
let lastRepair: string[] = [];
/** The store's journal, to name what a settle left pending. */
let journal: Journal | undefined;

async function drain(deadline: number): Promise<number> {
  const store = theStore();
  let passes = 0;
  for (;;) {
    const report = await store.repair();
    lastRepair = [
      ...(report.deferred > 0 ? [`repair deferred ${report.deferred}, skipped ${report.skipped}`] : []),
      ...report.failed
        .slice(0, 5)
        .map((f) => `repair ${f.key} -> ${f.target} (${f.op}) ${f.kind}: ${f.message}`),
    ];
    passes++;
    const status = store.status();
    const restoring = status.targets.some((t) => t.amnesia !== undefined);
    if ((status.journal.backlog === 0 && !restoring) || Date.now() > deadline) return passes;
    await sleep(250);
  }
}

async function finish(prefix: string, keys: readonly string[]): Promise<void> {
  const store = theStore();
  const started = Date.now();
  const deadline = started + 120_000;
  let passes = await drain(deadline);
  const rec = await store.reconcile({ prefix });
  passes += await drain(deadline);
  const reads: Record<string, ReadResult | { error: string }> = {};
  for (const key of keys) {
    try {
      reads[key] = await read(key);
    } catch (err) {
      reads[key] = { error: `${classifyFailure(err)}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  const { keys: listed } = await list(prefix);
  const status = store.status();
  const settle: SettleReport = {
    repairPasses: passes,
    backlogAfter: status.journal.backlog,
    reconcile: {
      copied: rec.copied,
      deleted: rec.deleted,
      conflicts: rec.conflicts,
      lost: rec.lost,
      errors: rec.errors.length,
    },
    counts: { ...status.counts },
    durationMs: Date.now() - started,
    leftovers:
      status.journal.backlog === 0 && rec.errors.length === 0
        ? []
        : [
            ...lastRepair,
            ...rec.errors
              .slice(0, 5)
              .map((f) => `reconcile ${f.key} -> ${f.target} (${f.op}) ${f.kind}: ${f.message}`),
            ...((await journal?.pending()) ?? [])
              .slice(0, 5)
              .map((e) => `pending ${e.key} ${e.op} ${e.version} missing [${e.missing.join(', ')}]`),
            // Why repair may have skipped a target: its breaker (and when it half-opens next).
            ...status.targets.map(
              (t) =>
                `target ${t.name}: ${t.state}${t.halfOpenAt === undefined ? '' : `, half-open in ${t.halfOpenAt - Date.now()} ms`}, period ${t.resetTimeoutMs} ms${t.amnesia === undefined ? '' : ', restoring'}`,
            ),
          ].map((line) => line.slice(0, 400)),
  };
  await closeStore();
  await send({ type: 'finished', reads, listed, settle });
  process.disconnect();
}

/** Another instance settles: this one closes its store (nothing of it is left pending) and exits. */
async function close(): Promise<void> {
  await closeStore();
  process.disconnect();
  setTimeout(() => process.exit(0), 2000).unref(); // should a socket still hold the loop
}

process.on('message', (msg: ToChild) => {
  if (msg.type === 'start') {
    start(msg.config).catch((err: unknown) => {
      console.error('jepsen child: start failed', err);
      process.exit(2);
    });
  } else if (msg.type === 'close') {
    close().catch((err: unknown) => {
      console.error('jepsen child: close failed', err);
      process.exit(2);
    });
  } else if (msg.type === 'op') void run(msg);
  else if (msg.type === 'dns') setDnsFault(msg.host, msg.failing);
  else if (msg.type === 'finish') {
    finish(msg.prefix, msg.keys).catch((err: unknown) => {
      console.error('jepsen child: finish failed', err);
      process.exit(2);
    });
  }
});
