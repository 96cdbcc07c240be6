import type { BreakerState, FailureKind } from '@failover/core';
import type { Attributes, Meter } from '@opentelemetry/api';
import { listenIfKnown } from './listen.js';
import { ATTR, BREAKER_STATES, type BreakerStateValue, METRICS } from './names.js';
import type { Disposer, RouterSource } from './types.js';

/** A core breaker state as an attribute value. */
export function stateValue(state: BreakerState): BreakerStateValue {
  return state === 'halfOpen' ? 'half_open' : state;
}

/**
 * Router metrics of `source` under the name `router`: counters fed by its events (failovers,
 * breaker transitions, budget refusals) and observable instruments read from `status()` at each
 * collection (attempts by outcome and kind, rejections, retries, hedges, breaker state, budget).
 * Nothing runs on the call path: events are only emitted when listened to, and status is read by
 * the metric reader. Returns the disposer.
 */
export function observeRouter(meter: Meter, router: string, source: RouterSource): Disposer {
  const failovers = meter.createCounter(METRICS.failovers, {
    description: 'Calls that moved from one target to another',
    unit: '{failover}',
  });
  const transitions = meter.createCounter(METRICS.breakerTransitions, {
    description: 'Breaker state changes, by the new state',
    unit: '{transition}',
  });
  const exhausted = meter.createCounter(METRICS.budgetExhausted, {
    description: 'Retries or hedges the retry budget could not pay for',
    unit: '{retry}',
  });
  const panics = meter.createCounter(METRICS.panics, {
    description: 'Calls sent to a target although every breaker was open (panic routing)',
    unit: '{call}',
  });
  const attempts = meter.createObservableCounter(METRICS.attempts, {
    description: 'Attempts per target, by outcome and failure kind',
    unit: '{attempt}',
  });
  const rejections = meter.createObservableCounter(METRICS.rejections, {
    description: 'Calls that skipped a target because its breaker was open',
    unit: '{call}',
  });
  const retries = meter.createObservableCounter(METRICS.retries, {
    description: 'Retries made on a target',
    unit: '{retry}',
  });
  const hedges = meter.createObservableCounter(METRICS.hedges, {
    description: 'Hedged attempts started on a target',
    unit: '{attempt}',
  });
  const state = meter.createObservableGauge(METRICS.breakerState, {
    description: "1 for the breaker's current state, 0 for the other states",
    unit: '1',
  });
  const tokens = meter.createObservableGauge(METRICS.budgetTokens, {
    description: 'Tokens left in the retry budget',
    unit: '{token}',
  });
  const limit = meter.createObservableGauge(METRICS.budgetLimit, {
    description: 'Size of the retry budget',
    unit: '{token}',
  });

  const base = { [ATTR.router]: router };
  const offs = [
    source.on('failover', (e) =>
      failovers.add(1, { ...base, [ATTR.from]: e.from, [ATTR.to]: e.to, [ATTR.kind]: e.kind }),
    ),
    source.on('open', (e) =>
      transitions.add(1, {
        ...base,
        [ATTR.target]: e.target,
        [ATTR.state]: 'open',
        [ATTR.remote]: e.remote,
        ...(e.kind === undefined ? {} : { [ATTR.kind]: e.kind }),
      }),
    ),
    source.on('halfOpen', (e) =>
      transitions.add(1, { ...base, [ATTR.target]: e.target, [ATTR.state]: 'half_open' }),
    ),
    source.on('close', (e) =>
      transitions.add(1, {
        ...base,
        [ATTR.target]: e.target,
        [ATTR.state]: 'closed',
        [ATTR.remote]: e.remote,
      }),
    ),
    source.on('budgetExhausted', (e) => exhausted.add(1, { ...base, [ATTR.target]: e.target })),
  ];

  // `panic` is newer than some stores' event lists: listened to where known.
  const offPanic = listenIfKnown(source, 'panic', (e) => {
    const target = (e as { target?: unknown }).target;
    panics.add(1, typeof target === 'string' ? { ...base, [ATTR.target]: target } : base);
  });
  if (offPanic !== undefined) offs.push(offPanic);

  const observables = [attempts, rejections, retries, hedges, state, tokens, limit];
  const collect = (batch: {
    observe(observable: (typeof observables)[number], value: number, attributes?: Attributes): void;
  }): void => {
    const status = source.status();
    for (const t of status.targets) {
      const at = { ...base, [ATTR.target]: t.name };
      batch.observe(attempts, t.successes, { ...at, [ATTR.outcome]: 'success' });
      for (const [kind, n] of Object.entries(t.failures) as [FailureKind, number][]) {
        if (n > 0) batch.observe(attempts, n, { ...at, [ATTR.outcome]: 'failure', [ATTR.kind]: kind });
      }
      batch.observe(rejections, t.rejections, at);
      batch.observe(retries, t.retries, at);
      batch.observe(hedges, t.hedges, at);
      const current = stateValue(t.state);
      for (const s of BREAKER_STATES) batch.observe(state, s === current ? 1 : 0, { ...at, [ATTR.state]: s });
    }
    if (status.budget !== undefined) {
      batch.observe(tokens, status.budget.tokens, base);
      batch.observe(limit, status.budget.capacity, base);
    }
  };
  meter.addBatchObservableCallback(collect, observables);

  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const off of offs) off();
    meter.removeBatchObservableCallback(collect, observables);
  };
}
