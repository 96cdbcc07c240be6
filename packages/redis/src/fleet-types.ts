import type { CallObserver } from '@failover/core';
import type { RedisCommandClient } from './client.js';
import type { IoredisClient } from './ioredis-types.js';

/** The payload of a router's `open` event, as the fleet reads it. */
export interface FleetOpenEvent {
  readonly target: string;
  readonly resetTimeoutMs: number;
  readonly remote: boolean;
  readonly kind?: string | undefined;
  /**
   * Set when the opening was a judgement (core's `Failover.eject`, e.g. the multi-cloud store's
   * `'unresponsive'`), absent when failed calls opened it; for a remote opening, the reason given.
   */
  readonly reason?: string | undefined;
}

/** The payload of a router's `close` event, as the fleet reads it. */
export interface FleetCloseEvent {
  readonly target: string;
  readonly remote: boolean;
}

/**
 * What the fleet needs of a router: `createFailover()`'s `Failover` fits, and so does anything
 * that forwards its fleet hooks and breaker events (a store built on a router).
 */
export interface FleetRouter {
  /** Opens a target's breaker on another instance's word (core's `Failover.trip`). */
  trip(name: string, options?: { reason?: string }): void;
  /** Closes a target's breaker on another instance's word (core's `Failover.recover`). */
  recover(name: string): void;
  /** Breaker events; `remote` tells the fleet's own trips and recoveries from local ones. */
  on(event: 'open', listener: (event: FleetOpenEvent) => void): () => void;
  on(event: 'close', listener: (event: FleetCloseEvent) => void): () => void;
}

/**
 * The subscriber connection: a node-redis client (the fleet makes one with `client.duplicate()`;
 * for an ioredis client, the package makes one of this shape over `client.duplicate()`).
 */
export interface RedisSubscriber {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>;
  on(event: 'ready' | 'end' | 'error', listener: (...args: unknown[]) => void): unknown;
  destroy(): void;
  readonly isReady: boolean;
}

/** A node-redis client that can also make the subscriber connection. */
export interface RedisFleetClient extends RedisCommandClient {
  duplicate(): RedisSubscriber;
}

/** Options of {@link createFleetHealth}. */
export interface FleetHealthOptions {
  /**
   * A connected Redis client: node-redis (`createClient()` from the `redis` package) or ioredis
   * (`new Redis()` from the `ioredis` package, without `keyPrefix`). The fleet sends its commands
   * on it and makes one more connection for pub/sub with `client.duplicate()` (closed by
   * {@link FleetHealth.close}); it never closes `client`.
   */
  client: RedisFleetClient | IoredisClient;
  /** The router whose breakers the fleet shares. */
  router: FleetRouter;
  /**
   * Start of the fleet's Redis keys and channel. Every instance of one application uses the same
   * prefix. Default `failover:fleet`.
   */
  prefix?: string;
  /** This instance's id in messages and leases. Default: a random id. */
  instanceId?: string;
  /**
   * How long one Redis call may take, in milliseconds, before the fleet gives up on it and falls
   * back to local behavior for that decision. Default 250.
   */
  timeoutMs?: number;
  /**
   * How many instances may probe a recovering target in one reset period, fleet-wide. Default 1;
   * up to 100.
   */
  probes?: number;
  /**
   * Fleet-wide fast ejection: when this many availability failures of one target happen across
   * the fleet with no success in between (and within `failureWindowMs`), the target is opened on
   * every instance at once, before each instance has collected enough failures of its own. Needs
   * {@link FleetHealth.observer} as the router's `observer`. Default 5; 0 turns it off.
   */
  tripAfter?: number;
  /**
   * The same for failures that prove the target unreachable (connection refused, name not
   * resolved, connect or TLS handshake failed: core's `failedBeforeSending`), counted apart: this
   * many across the fleet in a row (any other failure or a success ends the count, within
   * `failureWindowMs`) open the target everywhere, as `breaker.consecutiveConnectFailures` (2) does
   * on one instance. So the instances' first failed calls to a cloud that refuses connections add
   * up: three instances with one call each in flight leave it at once, not after a second failed
   * call each. Connections reset before any answer (core's `failedWithoutAnswer`: how a killed
   * cloud shows first, on the connections the instances had pooled) count in the same row, but
   * the row opens the target only once one of its failures proved it unreachable: resets alone
   * never do (a keep-alive race resets connections to healthy clouds too). Default 2; 0 turns it
   * off.
   */
  tripAfterConnect?: number;
  /**
   * The window of {@link FleetHealthOptions.tripAfter}, in milliseconds: the count ends this long
   * after its first failure. A failure report that reaches Redis more than this long after the
   * instance sent it (Redis paused or slow; by the instance's clock against Redis's, so keep the
   * clocks in sync) is dropped, so failures held up with the successes that followed them never
   * eject a working target. Default 1000.
   */
  failureWindowMs?: number;
  /** The reset timeout announced with a fleet-wide ejection, in milliseconds. Default 30 000. */
  ejectResetTimeoutMs?: number;
  /**
   * How many instances must eject a target on their own judgement, within `ejectionWindowMs`,
   * before the fleet opens it everywhere. An ejection by judgement is an opening with no failure
   * behind it: {@link FleetRouter}'s `eject` (its `open` event has a `reason`), such as the
   * multi-cloud store's `'unresponsive'` rule, which compares a target's silence with its peers'
   * answers as this process sees them. A process starved of CPU (or with a saturated connection
   * pool) can judge a healthy cloud silent; one such judgement must not make the whole fleet skip
   * that cloud, so it stays local until a second instance sees the same. An opening whose last
   * failure was a `timeout` counts the same way: a timeout is no answer, and such a process sees
   * every call time out. Openings caused by other failures (refused connections, unknown names,
   * resets, 5xx, 429) are published at once, whatever this is. Default 2; 1 publishes every
   * opening at once.
   */
  ejectionQuorum?: number;
  /**
   * The window of {@link FleetHealthOptions.ejectionQuorum}, in milliseconds, from the first
   * instance's ejection; a report that reaches Redis later than this after it was sent is dropped.
   * Default 2000.
   */
  ejectionWindowMs?: number;
  /**
   * How long a probe lease outlives the reset period, in milliseconds: the time a probe may take.
   * Default 5000.
   */
  probeLeaseMs?: number;
  /**
   * How often a live instance renews its probe leases in Redis, in milliseconds. Redis keeps a
   * lease only `2 * probeLeaseRenewMs + timeoutMs` past its last renewal, so the lease of an
   * instance that died (SIGKILL, a lost host) is free again that soon, not only at the end of
   * the reset period and `probeLeaseMs`; the other instances ask for it at the same pace and one
   * of them takes it. Each open target costs one Redis call per instance per period. Default 1000.
   */
  probeLeaseRenewMs?: number;
}

/** What {@link FleetHealth.status} reports. */
export interface FleetStatus {
  /** This instance's id. */
  readonly instanceId: string;
  /** False while Redis is unreachable or slow: every decision is local until it answers again. */
  readonly connected: boolean;
  /** Breaker openings this instance published. */
  readonly published: number;
  /** Other instances' openings and closings applied to the router here. */
  readonly applied: number;
  /** Targets for which this instance holds a probe lease now. */
  readonly leases: readonly string[];
  /**
   * How late this instance applied the last breaker opening or closing it received from another
   * instance: its clock (`Date.now()`) when the message was handed to it (it trips or recovers the
   * target right then; the router's `open` and `close` listeners already see the new value),
   * minus Redis's clock when the message was published, in milliseconds. The time the message spent in Redis's
   * delivery and in this process's event loop; a large value means this instance (or its machine)
   * was too busy to read its subscription. Clock skew between Redis's host and this one adds to
   * it. `undefined` until a message arrived.
   */
  readonly lastMessageDelayMs: number | undefined;
}

/** Breaker state shared by a fleet of instances through Redis; see {@link createFleetHealth}. */
export interface FleetHealth {
  /**
   * The router's `breaker.probeGate`: true when this instance may send the half-open probe of
   * `target` now (it holds one of the fleet's probe leases, or Redis is unreachable and every
   * instance decides for itself). Synchronous and never throws.
   */
  readonly probeGate: (target: string) => boolean;
  /**
   * The router's `observer`: counts availability failures fleet-wide for `tripAfter` (one Redis
   * call per failure while the target is closed, one per first success after failures; nothing
   * on a success path without failures). Never throws.
   */
  readonly observer: CallObserver;
  /** Resolves once the subscription is live (never rejects; check {@link FleetHealth.status}). */
  readonly ready: Promise<void>;
  /**
   * Resolves once every Redis call the fleet started (publishes, lease requests, resyncs) has
   * settled; for tests and orderly shutdowns.
   */
  idle(): Promise<void>;
  /** A snapshot of the fleet connection. */
  status(): FleetStatus;
  /** Stops listening to the router, releases this instance's leases and closes the subscriber. */
  close(): Promise<void>;
}
