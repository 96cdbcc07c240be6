import type { Journal } from '../journal/types.js';
import { STORE_PREFIX } from './reserved.js';

/**
 * The name under which a fleet leases the reconcile after its shared journal lost its data
 * (`Journal.lease`), followed by the journal's new id: `_failover/reconcile/<journalId>`. The
 * `_failover/` prefix is the store's own: no object a user writes is journaled (or repaired) under
 * it, so the name never meets a repair lease on an object key.
 */
export const RECONCILE_LEASE_PREFIX = `${STORE_PREFIX}reconcile/`;

/** The lease name of the reconcile after a reset to the journal id `journalId`. */
export function reconcileLeaseName(journalId: string): string {
  return `${RECONCILE_LEASE_PREFIX}${journalId}`;
}

/** A fleet-wide reconcile lease this process holds: renewed until {@link HeldReconcileLease.release}. */
export interface HeldReconcileLease {
  /** Stops renewing and gives the lease back (best effort: a failure leaves it to expire). */
  release(): Promise<void>;
}

/**
 * What asking for the reconcile lease came to:
 * - a {@link HeldReconcileLease}: this process got it and reconciles;
 * - `'elsewhere'`: another live process holds it (it reconciles; this one waits);
 * - `'unleased'`: the journal has no leases (file, memory: one process) or the lease call failed
 *   (the shared journal is away): this process reconciles without one, as a store of one process.
 */
export type ReconcileLeaseAnswer = HeldReconcileLease | 'elsewhere' | 'unleased';

/**
 * Asks `journal` for the lease on the reconcile after a reset to `journalId`, for `ttlMs`. A lease
 * taken is renewed every third of `ttlMs` while it is held (a reconcile lists every cloud and can
 * run far longer than the TTL); a holder that dies stops renewing, so its lease expires within
 * `ttlMs` and another process takes the reconcile over at its next repair pass. A renewal that
 * fails, or finds the lease taken by another process, is let be (the lease may then expire and a second process reconcile too: wasteful, not
 * wrong, since every copy is conditional).
 */
export async function takeReconcileLease(
  journal: Journal,
  journalId: string,
  ttlMs: number,
): Promise<ReconcileLeaseAnswer> {
  if (journal.lease === undefined) return 'unleased';
  const name = reconcileLeaseName(journalId);
  let got: readonly string[];
  try {
    got = await journal.lease([name], ttlMs);
  } catch {
    return 'unleased';
  }
  if (!got.includes(name)) return 'elsewhere';
  return holdLease(journal, name, ttlMs);
}

function holdLease(journal: Journal, name: string, ttlMs: number): HeldReconcileLease {
  let released = false;
  // A renewal answered "held by another" (this process stalled past the TTL) changes nothing: the
  // reconcile goes on (its copies are conditional) and the other process's is as good.
  const renew = () => journal.lease?.([name], ttlMs).catch(() => undefined);
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref?.();
  return {
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await journal.release?.([name]).catch(() => undefined);
    },
  };
}
