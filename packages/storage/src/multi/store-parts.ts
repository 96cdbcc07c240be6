import { createFailover, TypedEmitter } from '@failover/core';
import { StorageError } from '../errors.js';
import type { Journal } from '../journal/types.js';
import { createKeyedLock } from '../keyed-lock.js';
import { AckedWrites } from './acked.js';
import { AppendedEntries } from './appended.js';
import { newestJournaled } from './clock-floor.js';
import type { MultiContext, StoreTarget } from './context.js';
import { DeferredRecords } from './deferred-records.js';
import { EpochTracker } from './epoch.js';
import { JournalResetRestorer } from './journal-reset.js';
import type { ResolvedMultiOptions } from './options.js';
import { PendingIndex } from './pending.js';
import { AmnesiaRestorer } from './restore.js';
import { RepairScheduler } from './scheduler.js';
import type { MultiCloudCounts, MultiCloudOwnEvents } from './types.js';
import { UncertainWindows } from './uncertain.js';
import { UnresponsiveWatch } from './unresponsive.js';
import { HybridClock } from './version.js';
import { WriteLeases } from './write-lease.js';
import { WriterClaim } from './writer-claim.js';

/** Where a store is in its life: loaded on the first call, closed once. */
export interface StoreLife {
  closed: boolean;
  /** The journal's load, started by the first call that needs it. */
  loading: Promise<void> | undefined;
  /** `close()`'s work, started by its first call. */
  closing: Promise<void> | undefined;
}

/** What one multi-cloud store is made of: its context and the workers that run beside its calls. */
export interface StoreParts {
  readonly ctx: MultiContext;
  readonly scheduler: RepairScheduler;
  readonly epochs: EpochTracker;
  readonly restorer: AmnesiaRestorer;
  readonly journalResets: JournalResetRestorer;
  readonly writerClaim: WriterClaim;
  readonly life: StoreLife;
}

/**
 * Builds a store's context and workers over resolved options and its journal, and starts them
 * following the router (the repair schedule, the amnesia checks). Nothing is read until the first
 * call (`ctx.ready()`).
 */
export function assembleStore(o: ResolvedMultiOptions, journal: Journal): StoreParts {
  const targets: StoreTarget[] = o.targets.map((store, rank) => ({ name: store.name, store, rank }));
  const router = createFailover<StoreTarget>({ ...o.failover, targets });
  const life: StoreLife = { closed: false, loading: undefined, closing: undefined };
  const pending = new PendingIndex();
  const events = new TypedEmitter<MultiCloudOwnEvents>();
  const counts = zeroCounts();
  // Whether the store repairs by itself. Told not to (a tool, a batch job): no pass but those its
  // caller asks for, and no reconcile of a cloud or journal that lost its data until then.
  const automatic = o.repairOnRecovery || o.repairIntervalMs !== undefined || o.repairDelayMs !== undefined;
  const scheduler = new RepairScheduler(() => ctx, o.repairIntervalMs, o.repairDelayMs, automatic);
  const epochs = new EpochTracker(o.amnesiaRecheckMs, undefined, o.amnesiaJournal);
  const restorer = new AmnesiaRestorer(
    () => ctx,
    epochs,
    () => life.closed,
    automatic,
  );
  const journalResets = new JournalResetRestorer(
    () => ctx,
    epochs,
    () => life.closed,
    automatic,
    o.amnesiaJournalLeaseMs,
  );

  const writerClaim = new WriterClaim(journal, o.writerId, (error) => {
    if (events.has('error')) events.emit('error', { during: 'writer', error });
  });
  const appended = new AppendedEntries(o.settleMs);
  const clock = new HybridClock(o.writerId, o.now);
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
    clock,
    writeLeases: new WriteLeases(journal, o.writeLease, clock, counts),
    events,
    lock: createKeyedLock(),
    counts,
    uncertain: new UncertainWindows(o.settleMs),
    unresponsive: new UnresponsiveWatch(
      o.unresponsive,
      (target) => {
        if (!life.closed) router.eject(target, { reason: 'unresponsive' });
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
      life.loading ??= loadJournal(ctx, scheduler, epochs).then(() => {
        if (!life.closed) writerClaim.start();
      });
      return life.loading;
    },
    checkOpen: () => {
      if (life.closed) throw new StorageError('invalid', `The multi-cloud store "${o.name}" is closed`);
    },
    repairSoon: (at?: number) => (at === undefined ? scheduler.soon() : scheduler.at(at)),
    amnesiaFound: (target: string, asked?: boolean, signal?: AbortSignal) =>
      restorer.restore(target, asked, signal),
    journalResetFound: (previous: string, current: string, rolledBack?: boolean) =>
      journalResets.found(previous, current, rolledBack),
    journalResetRetry: (signal?: AbortSignal) => journalResets.retry(signal),
  };

  followRouter(ctx, epochs, scheduler, () => !life.closed && life.loading !== undefined);
  scheduler.start();
  return { ctx, scheduler, epochs, restorer, journalResets, writerClaim, life };
}

/**
 * A store's first load: the journal opened and read, the clock's floor set from it, repair
 * scheduled for a backlog, and the targets' markers checked in the background.
 */
async function loadJournal(
  ctx: MultiContext,
  scheduler: RepairScheduler,
  epochs: EpochTracker,
): Promise<void> {
  const { journal, pending, events, options: o } = ctx;
  await journal.open?.();
  const entries = await journal.pending();
  pending.load(entries);
  // The clock's floor across restarts: no write is stamped before this (every one awaits ready).
  const newest = await newestJournaled(journal, entries);
  ctx.clock.observe(newest);
  epochs.noteHistory(newest !== undefined);
  if (o.repairOnRecovery && journal.backlog() > 0) scheduler.soon(0);
  // Find out which targets lost their data (in the background: calls need not wait for it).
  epochs.establish(ctx).catch((err: unknown) => {
    if (events.has('error')) events.emit('error', { during: 'epoch', error: err });
  });
}

/**
 * Closes a store once: no repair, marker or restore is left half done, the copies acknowledged
 * writes still upload end first (each bounded by the attempt time limit, so none lands after
 * `close()` returned), then the router, the deferred journal records and the journal.
 */
export function closeStore(parts: StoreParts): Promise<void> {
  const { ctx, scheduler, epochs, restorer, journalResets, writerClaim, life } = parts;
  life.closing ??= (async () => {
    life.closed = true;
    ctx.unresponsive.close();
    await scheduler.stop();
    await epochs.settled(); // no marker left written on some targets only
    await restorer.settled();
    await journalResets.settled();
    await writerClaim.close();
    while (ctx.stragglers.size > 0) await Promise.all(ctx.stragglers);
    ctx.router.close();
    await ctx.deferredRecords.flush();
    await ctx.writeLeases.settled();
    ctx.events.clear();
    await ctx.journal.close();
  })();
  return life.closing;
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
    writeLeaseWaits: 0,
    writeLeaseSkipped: 0,
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
