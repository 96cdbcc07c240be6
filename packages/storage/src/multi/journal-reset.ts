import type { MultiContext } from './context.js';
import type { EpochTracker } from './epoch.js';
import { reconcile } from './reconcile.js';
import { type ReconcileLeaseAnswer, takeReconcileLease } from './reconcile-lease.js';
import type { MultiCloudStatus } from './types.js';

/** A journal reset found when the markers were established, while it is not reconciled. */
interface Reset {
  readonly previous: string;
  readonly current: string;
  readonly since: number;
  reconciling: boolean;
  /** Another process of the fleet held the reconcile's lease at the last attempt. */
  reconcilingElsewhere: boolean;
  /**
   * The journal went back in time (journal-rollback.ts), keeping its id: the markers carry it
   * already, so they cannot say that another instance reconciled; this instance reconciles itself
   * (after the lease's holder, if another one holds it).
   */
  readonly rolledBack: boolean;
}

/**
 * Reconciles after the journal lost its data (the epoch markers hold another journal's id than
 * the store's journal, see journal-identity.ts): every write it recorded as missing on some
 * target is forgotten, so a full reconcile compares every target's listing and brings the lagging
 * ones up to date. Only once one finished with every target listed and no error does the markers'
 * journal id become the new one (a crash before: the next start finds the reset again). A
 * reconcile that did not finish cleanly is retried at each repair pass (`retry`). Failures are
 * reported as `error` events (`during: 'epoch'`).
 *
 * A journal shared by a fleet (with `Journal.lease`: the Redis journal) lost its data for every
 * instance at once: each one finds the reset, but only the one that gets the fleet-wide lease on
 * the reconcile (reconcile-lease.ts) runs it; the others wait, and at each repair pass read the
 * markers again (the winner confirmed the new id: the reset is over for them too) and ask for the
 * lease again (its holder died without confirming: one of them takes the reconcile over).
 */
export class JournalResetRestorer {
  readonly #ctx: () => MultiContext;
  readonly #epochs: EpochTracker;
  readonly #closed: () => boolean;
  readonly #automatic: boolean;
  /** TTL of the fleet-wide lease on the reconcile (`amnesia.journalLeaseMs`). */
  readonly #leaseMs: number;
  #reset: Reset | undefined;
  #running: Promise<void> | undefined;
  /** Resolves once the running retry decided (see {@link retry}). */
  #decided: Promise<void> | undefined;

  /**
   * `ctx`: the store's context (asked when a reconcile starts); `closed`: whether the store closed;
   * `automatic`: whether the store repairs by itself (`repair.intervalMs`, `delayMs` or
   * `onRecovery` on). Without it (a tool such as the CLI, a batch job) a reset is reported and
   * its reconcile waits for the next explicit `repair()`: no store that was told not to repair by
   * itself starts writing to every cloud. `leaseMs`: the TTL of the fleet-wide lease.
   */
  constructor(
    ctx: () => MultiContext,
    epochs: EpochTracker,
    closed: () => boolean,
    automatic = true,
    leaseMs = 30_000,
  ) {
    this.#ctx = ctx;
    this.#epochs = epochs;
    this.#closed = closed;
    this.#automatic = automatic;
    this.#leaseMs = leaseMs;
  }

  /** For status: the reset not reconciled yet, if any. */
  get status(): MultiCloudStatus['journalReset'] {
    const r = this.#reset;
    if (r === undefined) return undefined;
    const { rolledBack: _rolledBack, ...status } = r;
    return status;
  }

  /**
   * A reset was found: reconciles in the background (one reconcile at a time). Another one while
   * the first is not reconciled (the journal lost its data again) keeps the first's `previous`
   * and takes the new `current` (the next reconcile confirms it).
   */
  found(previous: string, current: string, rolledBack = false): void {
    const before = this.#reset;
    this.#reset = {
      rolledBack: rolledBack || (before?.rolledBack ?? false),
      previous: before?.previous ?? previous,
      current,
      since: before?.since ?? Date.now(),
      reconciling: before?.reconciling ?? false,
      // A new id is a new lease: not known to be held elsewhere until asked.
      reconcilingElsewhere: before?.current === current && before.reconcilingElsewhere,
    };
    if (this.#automatic) void this.retry();
  }

  /**
   * Starts the reconcile again when a reset is not reconciled yet and none runs: at each repair
   * pass, explicit (`repair()`) or automatic. Resolves (never rejects) once this retry (or the one
   * running) decided: the reset is over (another instance confirmed it), another instance holds
   * the reconcile's lease, or the reconcile started (it goes on in the background); so a repair
   * pass's `status()` after it shows where the reset stands. For a store that does not repair by
   * itself, once the reconcile ended: it is part of the `repair()` that runs it (a batch job that
   * closes the store right after would otherwise close it mid-reconcile, the new id would never
   * be confirmed, and every later run would reconcile every cloud again); `signal` (that
   * `repair()`'s) then stops the reconcile, which the next `repair()` starts again.
   */
  retry(signal?: AbortSignal): Promise<void> {
    const reset = this.#reset;
    if (reset === undefined || this.#closed()) return Promise.resolve();
    if (this.#running !== undefined) {
      return this.#automatic ? (this.#decided ?? Promise.resolve()) : this.#running.catch(() => undefined);
    }
    const ctx = this.#ctx();
    // A background reconcile is no pass's to stop; one run within a repair() is that call's.
    const own = this.#automatic ? undefined : signal;
    let decide: () => void = () => {};
    const decided = new Promise<void>((resolve) => {
      decide = resolve;
    });
    this.#decided = decided;
    this.#running = (async () => {
      let lease: ReconcileLeaseAnswer = 'unleased';
      try {
        lease = await takeReconcileLease(ctx.journal, reset.current, this.#leaseMs);
        // A fleet's: another instance may have finished it (asked after the lease, which its
        // holder gives back only after confirming, so a confirmation is never missed).
        if (
          !reset.rolledBack &&
          ctx.journal.lease !== undefined &&
          (await this.#epochs.journalConfirmedElsewhere(ctx, reset.current))
        ) {
          this.#over(reset);
          return;
        }
        reset.reconcilingElsewhere = lease === 'elsewhere';
        if (lease === 'elsewhere' || this.#closed()) return;
        reset.reconciling = true;
        decide();
        const report = await reconcile(ctx, own === undefined ? {} : { signal: own });
        // Complete only when every target was listed and nothing failed: a write the journal
        // forgot may be held by any of them.
        const clean = report.skippedTargets.length === 0 && report.errors.length === 0;
        if (clean && !this.#closed()) {
          await this.#epochs.journalConfirmed(ctx, reset.current);
          this.#over(reset);
        }
      } catch (err) {
        // Stopped by the repair that ran it: not a failure of the reconcile.
        if (own?.aborted !== true && ctx.events.has('error'))
          ctx.events.emit('error', { during: 'epoch', error: err });
      } finally {
        decide();
        if (typeof lease === 'object') await lease.release();
        reset.reconciling = false;
        if (this.#reset !== undefined) this.#reset.reconciling = false;
        this.#running = undefined;
        this.#decided = undefined;
      }
    })();
    return this.#automatic ? decided : this.#running.catch(() => undefined);
  }

  /** `reset` is reconciled; a reset found meanwhile (a new `current`) waits for the next pass. */
  #over(reset: Reset): void {
    if (this.#reset === reset) this.#reset = undefined;
  }

  /** Resolves once the reconcile running now (if any) has ended. */
  async settled(): Promise<void> {
    await this.#running;
  }
}
