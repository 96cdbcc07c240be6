import { AllTargetsFailedError, type Failover, type FailoverTarget, type TypedEmitter } from '@failover/core';
import type { KeyedLock } from '../fs/keyed-lock.js';
import type { Journal } from '../journal/types.js';
import type { BlobStore } from '../types.js';
import type { ResolvedMultiOptions } from './options.js';
import type { PendingIndex } from './pending.js';
import type { MultiCloudCounts, MultiCloudOwnEvents } from './types.js';
import type { HybridClock } from './version.js';

/** A target of the store's router: one store, by its name. */
export interface StoreTarget extends FailoverTarget {
  readonly name: string;
  readonly store: BlobStore;
  /** Its position in the order of preference (0: the primary). */
  readonly rank: number;
}

/** What every part of the multi-cloud store shares. */
export interface MultiContext {
  readonly options: ResolvedMultiOptions;
  readonly name: string;
  readonly targets: readonly StoreTarget[];
  readonly byName: ReadonlyMap<string, StoreTarget>;
  readonly router: Failover<StoreTarget>;
  readonly journal: Journal;
  readonly pending: PendingIndex;
  readonly clock: HybridClock;
  readonly events: TypedEmitter<MultiCloudOwnEvents>;
  /** Serialises writes, repairs and reconcile fixes of one key within this store. */
  readonly lock: KeyedLock;
  readonly counts: MultiCloudCounts;
  /** Resolves once the journal is open and its pending entries are indexed; rejects if it cannot open. */
  ready(): Promise<void>;
  /** Rejects when the store is closed. */
  checkOpen(): void;
  /** Asks for a repair pass soon (debounced by `repair.delayMs`). */
  repairSoon(): void;
}

/** Runs `fn` on one target through its breaker (with the router's retries). */
export function runOn<R>(
  ctx: MultiContext,
  target: string,
  fn: (store: BlobStore, signal: AbortSignal | undefined) => Promise<R>,
  signal: AbortSignal | undefined,
): Promise<R> {
  return ctx.router.run((t, c) => fn(t.store, combine(c.signal, signal)), {
    idempotent: true,
    targets: [target],
    ...(signal === undefined ? {} : { signal }),
  });
}

/** True when `err` says the call never reached the target because its breaker is open. */
export function isBreakerRejection(err: unknown): boolean {
  return (
    err instanceof AllTargetsFailedError &&
    err.failures.length > 0 &&
    err.failures.every((f) => f.attempts === 0)
  );
}

/** The signal that aborts when either of two does. */
export function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined || a === b) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

/** Target names in order of preference. */
export function inOrder(ctx: MultiContext, names: Iterable<string>): string[] {
  const set = new Set(names);
  return ctx.targets.filter((t) => set.has(t.name)).map((t) => t.name);
}
