import type { Failover } from '@failover/core';
import type { MultiCloudStore } from '@failover/storage';
import { resolveOtelOptions } from './options.js';
import { meterOf } from './providers.js';
import { observeRouter } from './router-metrics.js';
import { observeStore } from './store-metrics.js';
import type { Disposer, Instrumentable, InstrumentOptions, RouterSource } from './types.js';

/**
 * Reports the metrics of a core router (`createFailover`) or a multi-cloud store
 * (`createMultiCloudStore`) through OpenTelemetry: calls and failures by target and kind,
 * failovers, breaker state and transitions, retry budget, hedges; for a store also the journal
 * backlog and oldest pending age, repairs, conflicts, lost writes and drill results. See
 * docs/observability.md for the table.
 *
 * It adds event listeners and metric callbacks only: the call path is unchanged, and with no SDK
 * installed every instrument is the API's no-op. Spans come from {@link createCallObserver},
 * given to the router as its `observer`. Returns a function that removes everything it added.
 *
 * @example
 * const stop = instrument(store, { meterProvider });
 * // ... later, when shutting down:
 * stop();
 *
 * @throws TypeError when `target` is neither a router nor a multi-cloud store;
 * `InvalidOptionError` (from `@failover/core`) naming a bad or unknown option.
 */
export function instrument(target: Instrumentable, given: InstrumentOptions = {}): Disposer {
  const options = resolveOtelOptions(given, true);
  const meter = meterOf(options);
  if (isStore(target)) {
    const name = options.name ?? target.name;
    const disposers = [
      observeRouter(meter, name, target as unknown as RouterSource),
      observeStore(meter, name, target, options.journal),
    ];
    return () => {
      for (const d of disposers) d();
    };
  }
  if (isRouter(target)) return observeRouter(meter, options.name ?? 'failover', target);
  throw new TypeError(
    'instrument() takes a router (createFailover) or a multi-cloud store (createMultiCloudStore)',
  );
}

function isStore(target: unknown): target is MultiCloudStore {
  const t = target as Partial<MultiCloudStore> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.status === 'function' &&
    typeof t.repair === 'function' &&
    typeof t.drill === 'function' &&
    typeof t.on === 'function'
  );
}

function isRouter(target: unknown): target is Failover {
  const t = target as Partial<Failover> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.status === 'function' &&
    typeof t.runDetailed === 'function' &&
    typeof t.on === 'function'
  );
}
