import type { DrillReport, MultiCloudStore } from '@failover/storage';
import type { Attributes, Meter } from '@opentelemetry/api';
import { listenIfKnown } from './listen.js';
import { ATTR, METRICS } from './names.js';
import type { Disposer, InstrumentOptions } from './types.js';

/**
 * Durability events that newer multi-cloud stores emit (a target lost acknowledged writes...).
 * Listened to when the store knows them; their payload's `target` becomes the attribute.
 */
const DURABILITY_EVENTS = ['lost'] as const;

/**
 * Storage metrics of a multi-cloud store: journal backlog, pending keys, per-target lag and the
 * oldest pending entry's age (observed at collection), journaled writes, repairs, repair passes,
 * conflicts, integrity errors, lost writes (counted from events) and drill results (recorded as
 * each `drill()` returns). Returns the disposer, which also puts the store's own `drill` back.
 */
export function observeStore(
  meter: Meter,
  router: string,
  store: MultiCloudStore,
  journal: InstrumentOptions['journal'],
): Disposer {
  const base = { [ATTR.router]: router };
  const journaled = meter.createCounter(METRICS.journaled, {
    description: 'Writes recorded in the journal because some target lacked them',
    unit: '{write}',
  });
  const repairs = meter.createCounter(METRICS.repairs, {
    description: 'Copies and deletes made by repair and reconcile, by target',
    unit: '{repair}',
  });
  const passes = meter.createCounter(METRICS.repairPasses, {
    description: 'Repair passes finished',
    unit: '{pass}',
  });
  const repairFailures = meter.createCounter(METRICS.repairFailures, {
    description: 'Journal pairs a repair pass could not fix, by target and kind',
    unit: '{pair}',
  });
  const conflicts = meter.createCounter(METRICS.conflicts, {
    description: 'Targets found holding a newer version than the one repair or reconcile would apply',
    unit: '{conflict}',
  });
  const integrity = meter.createCounter(METRICS.integrityErrors, {
    description: 'Copies whose bytes did not match their SHA-256',
    unit: '{copy}',
  });
  const lost = meter.createCounter(METRICS.lost, {
    description: 'Acknowledged writes a target was found to have lost',
    unit: '{write}',
  });
  const drills = meter.createCounter(METRICS.drills, {
    description: 'Targets checked by a drill, by outcome (and failed step)',
    unit: '{drill}',
  });
  const drillDuration = meter.createHistogram(METRICS.drillDuration, {
    description: "Duration of one target's drill",
    unit: 's',
  });
  const backlog = meter.createObservableGauge(METRICS.journalBacklog, {
    description: '(entry, target) pairs the journal still has to repair',
    unit: '{pair}',
  });
  const pendingKeys = meter.createObservableGauge(METRICS.journalPendingKeys, {
    description: 'Keys with a write some target still lacks',
    unit: '{key}',
  });
  const behind = meter.createObservableGauge(METRICS.targetBehind, {
    description: 'Journal pairs a target still lacks',
    unit: '{pair}',
  });
  const oldest = meter.createObservableGauge(METRICS.journalOldestAge, {
    description: 'Age of the oldest pending journal entry (0 when nothing is pending)',
    unit: 's',
  });

  const offs: (() => void)[] = [
    store.on('journaled', (e) => journaled.add(1, { ...base, [ATTR.op]: e.op })),
    store.on('repaired', (e) => repairs.add(1, { ...base, [ATTR.target]: e.target, [ATTR.op]: e.op })),
    store.on('conflict', (e) =>
      conflicts.add(1, { ...base, [ATTR.target]: e.target, [ATTR.during]: e.during }),
    ),
    store.on('integrityError', (e) => integrity.add(1, { ...base, [ATTR.target]: e.target })),
    store.on('repairFinished', (report) => {
      passes.add(1, base);
      for (const f of report.failed) {
        repairFailures.add(1, { ...base, [ATTR.target]: f.target, [ATTR.kind]: f.kind, [ATTR.op]: f.op });
      }
    }),
  ];
  for (const name of DURABILITY_EVENTS) {
    const off = listenIfKnown(store, name, (payload) => {
      const target = (payload as { target?: unknown } | undefined)?.target;
      lost.add(1, typeof target === 'string' ? { ...base, [ATTR.target]: target } : base);
    });
    if (off !== undefined) offs.push(off);
  }

  const collect = async (batch: {
    observe(observable: typeof backlog, value: number, attributes?: Attributes): void;
  }): Promise<void> => {
    const status = store.status();
    batch.observe(backlog, status.journal.backlog, base);
    batch.observe(pendingKeys, status.journal.pendingKeys, base);
    for (const t of status.targets) batch.observe(behind, t.behind, { ...base, [ATTR.target]: t.name });
    if (journal !== undefined) {
      const entries = await journal.pending();
      let first = Number.POSITIVE_INFINITY;
      for (const e of entries) if (e.at < first) first = e.at;
      batch.observe(oldest, entries.length === 0 ? 0 : Math.max(0, (Date.now() - first) / 1000), base);
    }
  };
  const observables =
    journal === undefined ? [backlog, pendingKeys, behind] : [backlog, pendingKeys, behind, oldest];
  meter.addBatchObservableCallback(collect, observables);

  // Drill results: recorded as each drill returns (a drill is a method call, not an event).
  const ownDrill = Object.getOwnPropertyDescriptor(store, 'drill');
  const original = store.drill;
  const recordDrill = (report: DrillReport): void => {
    for (const t of report.targets) {
      const at = { ...base, [ATTR.target]: t.target };
      drillDuration.record(t.latencyMs / 1000, at);
      drills.add(
        1,
        t.ok
          ? { ...at, [ATTR.outcome]: 'success' }
          : {
              ...at,
              [ATTR.outcome]: 'failure',
              ...(t.error === undefined ? {} : { [ATTR.step]: t.error.step, [ATTR.kind]: t.error.kind }),
            },
      );
    }
  };
  const instrumented: MultiCloudStore['drill'] = async (options) => {
    const report = await original.call(store, options);
    recordDrill(report);
    return report;
  };
  (store as { drill: MultiCloudStore['drill'] }).drill = instrumented;

  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const off of offs) off();
    meter.removeBatchObservableCallback(collect, observables);
    if (store.drill === instrumented) {
      if (ownDrill !== undefined) Object.defineProperty(store, 'drill', ownDrill);
      else delete (store as { drill?: unknown }).drill;
    }
  };
}
