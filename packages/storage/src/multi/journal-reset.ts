import type { MultiContext } from './context.js';
import type { EpochTracker } from './epoch.js';
import { reconcile } from './reconcile.js';

/** A journal reset found when the markers were established, while it is not reconciled. */
interface Reset {
  readonly previous: string;
  readonly current: string;
  readonly since: number;
  reconciling: boolean;
}

/**
 * Reconciles after the journal lost its data (the epoch markers hold another journal's id than
 * the store's journal, see journal-identity.ts): every write it recorded as missing on some
 * target is forgotten, so a full reconcile compares every target's listing and brings the lagging
 * ones up to date. Only once one finished with every target listed and no error does the markers'
 * journal id become the new one (a crash before: the next start finds the reset again). A
 * reconcile that did not finish cleanly is retried at each repair pass (`retry`). Failures are
 * reported as `error` events (`during: 'epoch'`).
 */
export class JournalResetRestorer {
  readonly #ctx: () => MultiContext;
  readonly #epochs: EpochTracker;
  readonly #closed: () => boolean;
  readonly #automatic: boolean;
  #reset: Reset | undefined;
  #running: Promise<void> | undefined;

  /**
   * `ctx`: the store's context (asked when a reconcile starts); `closed`: whether the store closed;
   * `automatic`: whether the store repairs by itself (`repair.intervalMs`, `delayMs` or
   * `onRecovery` on). Without it (a tool such as the CLI, a batch job) a reset is reported and
   * its reconcile waits for the next explicit `repair()`: no store that was told not to repair by
   * itself starts writing to every cloud.
   */
  constructor(ctx: () => MultiContext, epochs: EpochTracker, closed: () => boolean, automatic = true) {
    this.#ctx = ctx;
    this.#epochs = epochs;
    this.#closed = closed;
    this.#automatic = automatic;
  }

  /** For status: the reset not reconciled yet, if any. */
  get status():
    | {
        readonly previous: string;
        readonly current: string;
        readonly since: number;
        readonly reconciling: boolean;
      }
    | undefined {
    const r = this.#reset;
    return r === undefined ? undefined : { ...r };
  }

  /**
   * A reset was found: reconciles in the background (one reconcile at a time). Another one while
   * the first is not reconciled (the journal lost its data again) keeps the first's `previous`
   * and takes the new `current` (the next reconcile confirms it).
   */
  found(previous: string, current: string): void {
    const before = this.#reset;
    this.#reset = {
      previous: before?.previous ?? previous,
      current,
      since: before?.since ?? Date.now(),
      reconciling: before?.reconciling ?? false,
    };
    if (this.#automatic) this.retry();
  }

  /**
   * Starts the reconcile again when a reset is not reconciled yet and none runs: at each repair
   * pass, explicit (`repair()`) or automatic.
   */
  retry(): void {
    const reset = this.#reset;
    if (reset === undefined || this.#running !== undefined || this.#closed()) return;
    const ctx = this.#ctx();
    this.#running = (async () => {
      reset.reconciling = true;
      try {
        const report = await reconcile(ctx, {});
        // Complete only when every target was listed and nothing failed: a write the journal
        // forgot may be held by any of them.
        const clean = report.skippedTargets.length === 0 && report.errors.length === 0;
        if (clean && !this.#closed()) {
          await this.#epochs.journalConfirmed(ctx, reset.current);
          // A reset found meanwhile (a new `current`) waits for the next repair pass.
          if (this.#reset === reset) this.#reset = undefined;
        }
      } catch (err) {
        if (ctx.events.has('error')) ctx.events.emit('error', { during: 'epoch', error: err });
      } finally {
        reset.reconciling = false;
        if (this.#reset !== undefined) this.#reset.reconciling = false;
        this.#running = undefined;
      }
    })();
  }

  /** Resolves once the reconcile running now (if any) has ended. */
  async settled(): Promise<void> {
    await this.#running;
  }
}
