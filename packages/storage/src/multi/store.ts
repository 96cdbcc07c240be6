import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createFailover, type FailoverEventName, TypedEmitter } from '@failover/core';
import { NotFoundError, StorageError } from '../errors.js';
import { createFileJournal } from '../journal/file.js';
import type { Journal } from '../journal/types.js';
import { createKeyedLock } from '../keyed-lock.js';
import type {
  BlobBody,
  BlobStore,
  CopyOptions,
  DeleteOptions,
  GetOptions,
  ListOptions,
  OperationOptions,
  PutOptions,
} from '../types.js';
import { AckedWrites } from './acked.js';
import { AppendedEntries } from './appended.js';
import { newestJournaled } from './clock-floor.js';
import type { MultiContext, StoreTarget } from './context.js';
import { copyObject } from './copy.js';
import { DeferredRecords } from './deferred-records.js';
import { drill } from './drill.js';
import { EpochTracker } from './epoch.js';
import { JournalResetRestorer } from './journal-reset.js';
import { listObjects } from './list.js';
import { type MultiCloudStoreOptions, resolveMultiOptions } from './options.js';
import { PendingIndex } from './pending.js';
import { presignObject } from './presign.js';
import { deleteObject, putObject } from './put.js';
import { getObject, headObject } from './read.js';
import { reconcile } from './reconcile.js';
import { AmnesiaRestorer } from './restore.js';
import { RepairScheduler } from './scheduler.js';
import { statusOf } from './status.js';
import type {
  MultiCloudCounts,
  MultiCloudEventName,
  MultiCloudListener,
  MultiCloudOwnEvents,
  MultiCloudStore,
} from './types.js';
import { UncertainWindows } from './uncertain.js';
import { UnresponsiveWatch } from './unresponsive.js';
import { HybridClock } from './version.js';

const ROUTER_EVENTS: ReadonlySet<string> = new Set<FailoverEventName>([
  'failover',
  'open',
  'halfOpen',
  'close',
  'retry',
  'hedge',
  'rejected',
  'panic',
  'budgetExhausted',
]);

const OWN_EVENTS: ReadonlySet<string> = new Set<keyof MultiCloudOwnEvents>([
  'journaled',
  'repaired',
  'conflict',
  'integrityError',
  'degraded',
  'lost',
  'amnesia',
  'journalReset',
  'held',
  'resumed',
  'staleCopy',
  'repairFinished',
  'error',
]);

/**
 * The directory of the default file journal: `.failover/journal/<id>` under the current
 * directory, `<id>` being the first 16 hex digits of the SHA-256 of the target names (so the same
 * targets find the same journal after a restart, and other target sets get their own).
 */
export function defaultJournalDir(targets: readonly BlobStore[]): string {
  const id = createHash('sha256')
    .update(targets.map((t) => t.name).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return join(process.cwd(), '.failover', 'journal', id);
}

/**
 * A {@link BlobStore} over several stores, in order of preference: reads and writes fail over
 * between them (through core's router: a breaker per target, retries, budget, deadlines, hedging),
 * every write is stamped with a version and a SHA-256, every write some target lacks is recorded
 * in a durable journal before it is acknowledged, and repair copies it there when the target is
 * back. See docs/multi-cloud.md.
 *
 * @example
 * const store = createMultiCloudStore({
 *   targets: [s3Store, gcsStore, azureStore],
 *   writes: 'mirror',
 *   journal: createFileJournal({ dir: '/var/lib/my-app/journal' }),
 *   failover: { attemptTimeoutMs: 5000, breaker: { resetTimeoutMs: 30000 } },
 * });
 * await store.put('invoices/42.pdf', pdf);
 * const { body } = await store.get('invoices/42.pdf');
 *
 * @throws InvalidOptionError (from `@failover/core`) naming the bad option.
 */
export function createMultiCloudStore(options: MultiCloudStoreOptions): MultiCloudStore {
  const o = resolveMultiOptions(options);
  const targets: StoreTarget[] = o.targets.map((store, rank) => ({ name: store.name, store, rank }));
  const router = createFailover<StoreTarget>({ ...o.failover, targets });
  const journal: Journal = o.journal ?? createFileJournal({ dir: defaultJournalDir(o.targets) });
  const pending = new PendingIndex();
  const events = new TypedEmitter<MultiCloudOwnEvents>();
  const counts = zeroCounts();
  let closed = false;
  let closing: Promise<void> | undefined;
  let loading: Promise<void> | undefined;
  const scheduler = new RepairScheduler(() => ctx, o.repairIntervalMs, o.repairDelayMs);
  const epochs = new EpochTracker(o.amnesiaRecheckMs, undefined, o.amnesiaJournal);
  const restorer = new AmnesiaRestorer(
    () => ctx,
    epochs,
    () => closed,
  );
  const journalResets = new JournalResetRestorer(
    () => ctx,
    epochs,
    () => closed,
    o.repairOnRecovery || o.repairIntervalMs !== undefined || o.repairDelayMs !== undefined,
    o.amnesiaJournalLeaseMs,
  );

  const appended = new AppendedEntries(o.settleMs);
  const ctx: MultiContext = {
    options: o,
    name: o.name,
    targets,
    byName: new Map(targets.map((t) => [t.name, t])),
    router,
    journal,
    pending,
    deferredRecords: new DeferredRecords(
      journal,
      pending,
      (err) => {
        if (events.has('error')) events.emit('error', { during: 'journal', error: err });
      },
      (entry) => appended.note(entry),
    ),
    appended,
    clock: new HybridClock(o.writerId, o.now),
    events,
    lock: createKeyedLock(),
    counts,
    uncertain: new UncertainWindows(o.settleMs),
    unresponsive: new UnresponsiveWatch(
      o.unresponsive,
      (target) => {
        if (!closed) router.eject(target, { reason: 'unresponsive' });
      },
      (target, held) => {
        if (events.has('held')) events.emit('held', { target, held });
      },
    ),
    epochs,
    stragglers: new Set(),
    inflight: new Map(),
    observed: new Map(),
    acked: new AckedWrites(),
    observedDeletes: new Set(),
    observedPuts: new Set(),
    uncheckedCopies: new Map(),
    ready: () => {
      loading ??= (async () => {
        await journal.open?.();
        const entries = await journal.pending();
        pending.load(entries);
        // The clock's floor across restarts: no write is stamped before this (every one awaits ready).
        ctx.clock.observe(await newestJournaled(journal, entries));
        if (o.repairOnRecovery && journal.backlog() > 0) scheduler.soon(0);
        // Find out which targets lost their data (in the background: calls need not wait for it).
        epochs.establish(ctx).catch((err: unknown) => {
          if (events.has('error')) events.emit('error', { during: 'epoch', error: err });
        });
      })();
      return loading;
    },
    checkOpen: () => {
      if (closed) throw new StorageError('invalid', `The multi-cloud store "${o.name}" is closed`);
    },
    repairSoon: (at?: number) => (at === undefined ? scheduler.soon() : scheduler.at(at)),
    amnesiaFound: (target: string) => restorer.restore(target),
    journalResetFound: (previous: string, current: string, rolledBack?: boolean) =>
      journalResets.found(previous, current, rolledBack),
    journalResetRetry: () => journalResets.retry(),
  };

  followRouter(ctx, epochs, scheduler, () => !closed && loading !== undefined);
  scheduler.start();

  const whenOpen = <R>(fn: () => Promise<R>): Promise<R> => {
    if (closed)
      return Promise.reject(new StorageError('invalid', `The multi-cloud store "${o.name}" is closed`));
    return fn();
  };

  const store: MultiCloudStore = {
    name: o.name,
    targets: o.targets,

    put: (key: string, body: BlobBody, putOptions?: PutOptions) =>
      whenOpen(() => putObject(ctx, key, body, putOptions)),

    get: (key: string, getOptions: GetOptions = {}) =>
      whenOpen(async () => {
        counts.gets++;
        const res = await getObject(ctx, key, getOptions);
        if (res === null) throw new NotFoundError(key, { target: o.name });
        return res;
      }),

    head: (key: string, headOptions: OperationOptions = {}) =>
      whenOpen(() => headObject(ctx, key, headOptions)),

    exists: (key: string, existsOptions: OperationOptions = {}) =>
      whenOpen(async () => (await headObject(ctx, key, existsOptions)) !== null),

    delete: (key: string, deleteOptions?: DeleteOptions) =>
      whenOpen(() => deleteObject(ctx, key, deleteOptions)),

    list: (listOptions?: ListOptions) => listObjects(ctx, listOptions),

    copy: (from: string, to: string, copyOptions?: CopyOptions) =>
      whenOpen(() => copyObject(ctx, from, to, copyOptions)),

    repair: (repairOptions) => whenOpen(() => scheduler.run(repairOptions)),

    reconcile: (reconcileOptions) => whenOpen(() => reconcile(ctx, reconcileOptions)),

    drill: (drillOptions) => whenOpen(() => drill(ctx, drillOptions)),

    presign: (key, presignOptions) => whenOpen(() => presignObject(ctx, key, presignOptions)),

    status: () => statusOf(ctx, scheduler, closed, journalResets.status),

    trip: (name, tripOptions) => router.trip(name, tripOptions),

    recover: (name) => router.recover(name),

    ...listeners(router, events),

    close: () => {
      closing ??= (async () => {
        closed = true;
        ctx.unresponsive.close();
        await scheduler.stop();
        await epochs.settled(); // no marker left written on some targets only
        await restorer.settled();
        await journalResets.settled();
        // The copies acknowledged writes still upload end first (each bounded by the attempt
        // time limit): none lands after close() returned.
        while (ctx.stragglers.size > 0) await Promise.all(ctx.stragglers);
        router.close();
        await ctx.deferredRecords.flush();
        events.clear();
        await journal.close();
      })();
      return closing;
    },
  };
  return store;
}

/** Every counter of `status().counts` at 0. */
function zeroCounts(): MultiCloudCounts {
  return {
    puts: 0,
    gets: 0,
    deletes: 0,
    journaled: 0,
    repaired: 0,
    conflicts: 0,
    integrityErrors: 0,
    repairPasses: 0,
    degraded: 0,
    lost: 0,
    amnesia: 0,
    journalResets: 0,
    resumedDownloads: 0,
    staleCopies: 0,
  };
}

/**
 * What the store does on its router's events: a target that recovers gets what it missed (when
 * `repair.onRecovery`), and one that failed a call may come back without its data, so its marker
 * is checked before it is trusted again (`checking`: whether the store is open and loaded).
 */
function followRouter(
  ctx: MultiContext,
  epochs: EpochTracker,
  scheduler: RepairScheduler,
  checking: () => boolean,
): void {
  const { router } = ctx;
  if (ctx.options.repairOnRecovery) router.on('close', () => scheduler.soon(0));
  router.on('failover', (e) => epochs.forget(e.from));
  router.on('retry', (e) => epochs.forget(e.target));
  router.on('open', (e) => epochs.forget(e.target));
  router.on('close', (e) => {
    if (checking()) epochs.check(ctx, e.target).catch(() => undefined);
  });
}

/** The store's `on` and `off`: the router's events from the router, the store's own from `events`. */
function listeners(
  router: MultiContext['router'],
  events: TypedEmitter<MultiCloudOwnEvents>,
): Pick<MultiCloudStore, 'on' | 'off'> {
  return {
    on<E extends MultiCloudEventName>(event: E, listener: MultiCloudListener<E>): () => void {
      if (ROUTER_EVENTS.has(event)) {
        return router.on(event as FailoverEventName, listener as MultiCloudListener<FailoverEventName>);
      }
      checkEvent(event);
      return events.on(
        event as keyof MultiCloudOwnEvents,
        listener as MultiCloudListener<keyof MultiCloudOwnEvents>,
      );
    },
    off<E extends MultiCloudEventName>(event: E, listener: MultiCloudListener<E>): void {
      if (ROUTER_EVENTS.has(event)) {
        router.off(event as FailoverEventName, listener as MultiCloudListener<FailoverEventName>);
        return;
      }
      events.off(
        event as keyof MultiCloudOwnEvents,
        listener as MultiCloudListener<keyof MultiCloudOwnEvents>,
      );
    },
  };
}

function checkEvent(event: string): void {
  if (!OWN_EVENTS.has(event)) {
    throw new TypeError(`Unknown event "${event}" (known: ${[...OWN_EVENTS, ...ROUTER_EVENTS].join(', ')})`);
  }
}
