import type { MultiContext } from './context.js';
import type { RepairScheduler } from './scheduler.js';
import type { MultiCloudStatus } from './types.js';

/** A snapshot of the store: the router's view of every target, the journal, repair, counters. */
export function statusOf(
  ctx: MultiContext,
  scheduler: RepairScheduler,
  closed: boolean,
  journalReset: MultiCloudStatus['journalReset'],
  writerIdShared: boolean,
): MultiCloudStatus {
  const router = ctx.router.status();
  return {
    name: ctx.name,
    writes: ctx.options.writes,
    targets: router.targets.map((t) => ({
      ...t,
      available: !closed && ctx.router.isAvailable(t.name),
      behind: ctx.pending.behind(t.name),
      amnesia: ctx.epochs.statusOf(t.name),
      held: ctx.unresponsive.held(t.name),
    })),
    budget: router.budget,
    journal: { backlog: ctx.journal.backlog(), pendingKeys: ctx.pending.keyCount },
    journalReset,
    writerIdShared,
    repair: { running: scheduler.running, last: scheduler.last, lastError: scheduler.lastError },
    counts: { ...ctx.counts },
    closed,
  };
}
