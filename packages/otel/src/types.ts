import type { Failover, FailoverEventName, FailoverListener, FailoverStatus } from '@failover/core';
import type { Journal, MultiCloudStore } from '@failover/storage';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** What {@link instrument} accepts: a core router or a multi-cloud store. */
export type Instrumentable = Failover | MultiCloudStore;

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * Where metrics go. Default: the global provider (`metrics.getMeterProvider()`), read when
   * `instrument` is called: set up the SDK first. Without an SDK every instrument is a no-op.
   */
  meterProvider?: MeterProvider;
  /**
   * Where spans go (see {@link createCallObserver}). Default: the global provider, looked up on each
   * call, so an SDK registered later is used too.
   */
  tracerProvider?: TracerProvider;
  /**
   * The `failover.router` attribute of every metric. Default: the store's `name`, or `failover`
   * for a router. Give each router its own.
   */
  name?: string;
  /**
   * The store's journal, to report the age of its oldest pending entry
   * (`failover.storage.journal.oldest_pending.age`, read at each collection). Without it that
   * metric is not reported.
   */
  journal?: Pick<Journal, 'pending'>;
}

/** Removes what {@link instrument} added (listeners, metric callbacks). Safe to call twice. */
export type Disposer = () => void;

/** @internal What the router metrics read: a router, or a store's router events and status. */
export interface RouterSource {
  status(): Pick<FailoverStatus, 'targets' | 'budget'>;
  on<E extends FailoverEventName>(event: E, listener: FailoverListener<E>): () => void;
}
