import type { MultiContext } from './context.js';
import type { EpochTracker } from './epoch.js';
import { reconcile } from './reconcile.js';
import { dropRestoreMarks, placeRestoreMark, restoreMarkHeld } from './restore-mark.js';

/** Restores of one target in a row, each after it lost its data again during the last: then left to the next check. */
const RESTORE_ROUNDS = 3;

/**
 * Brings back targets that lost their data (their epoch marker vanished or changed): one
 * reconcile from the others per target at a time, after which the target is trusted again (only
 * if that reconcile listed every target and reached this one without errors). Failures are reported as `error` events
 * (`during: 'epoch'`); the target then stays untrusted until the next check finds it again.
 * A store told not to repair by itself (a tool such as the CLI, a batch job) reports the loss and
 * restores the target only when asked: within its next `repair()`.
 */
export class AmnesiaRestorer {
  readonly #running = new Map<string, Promise<void>>();
  readonly #ctx: () => MultiContext;
  readonly #epochs: EpochTracker;
  readonly #closed: () => boolean;
  readonly #automatic: boolean;

  /**
   * `ctx`: the store's context (asked when a restore starts); `closed`: whether the store closed;
   * `automatic`: whether the store repairs by itself (`repair.intervalMs`, `delayMs` or
   * `onRecovery` on).
   */
  constructor(ctx: () => MultiContext, epochs: EpochTracker, closed: () => boolean, automatic = true) {
    this.#ctx = ctx;
    this.#epochs = epochs;
    this.#closed = closed;
    this.#automatic = automatic;
  }

  /**
   * Starts restoring `target` unless it is being restored already or the store is closed; for a
   * store that does not repair by itself, only when `asked` (a repair pass it was asked for), and
   * then as part of that pass: the restore is returned for the pass to wait for (a tool that closes
   * the store once its `repair()` returns would otherwise close it mid-restore, and the restored
   * target would never get its marker back). `undefined` otherwise: it runs in the background.
   * `signal` (the asking pass's, such a store only) stops that restore's reconcile; the target then
   * stays untrusted until a later `repair()` restores it.
   */
  restore(target: string, asked = false, signal?: AbortSignal): Promise<void> | undefined {
    if (!this.#automatic && !asked) return undefined;
    const running = this.#running.get(target);
    if (running !== undefined || this.#closed()) return this.#automatic ? undefined : running;
    const ctx = this.#ctx();
    // A background restore is no pass's to stop; an asked one is its pass's.
    const own = this.#automatic ? undefined : signal;
    const run = (async () => {
      this.#epochs.setReconciling(target, true);
      try {
        for (let round = 1; round <= RESTORE_ROUNDS && !this.#closed(); round++) {
          if ((await this.#restoreOnce(ctx, target, own)) !== 'lost again') break;
          // The target lost its data again while it was restored: what was copied is gone too.
          ctx.counts.amnesia++;
          const expected = this.#epochs.expected;
          if (expected !== undefined && ctx.events.has('amnesia')) {
            ctx.events.emit('amnesia', { target, expected, found: undefined, reconciled: false });
          }
        }
      } catch (err) {
        // Stopped by the repair that asked for it: not a failure of the restore.
        if (own?.aborted !== true && ctx.events.has('error'))
          ctx.events.emit('error', { during: 'epoch', error: err });
      } finally {
        this.#epochs.setReconciling(target, false);
        this.#running.delete(target);
      }
    })();
    this.#running.set(target, run);
    return this.#automatic ? undefined : run;
  }

  /**
   * One reconcile of `target` from the others, between a mark placed on it before and checked
   * after (restore-mark.ts): the target is trusted again (its epoch marker written) only when the
   * reconcile listed every target and reached this one without errors, and the mark is still
   * there. `'lost again'` when the mark vanished: the target lost its data during the restore.
   */
  async #restoreOnce(
    ctx: MultiContext,
    target: string,
    signal: AbortSignal | undefined,
  ): Promise<'restored' | 'incomplete' | 'lost again'> {
    const mark = this.#epochs.expected === undefined ? undefined : await placeRestoreMark(ctx, target);
    let outcome: 'restored' | 'incomplete' | 'lost again' = 'incomplete';
    try {
      const report = await reconcile(ctx, signal === undefined ? {} : { signal });
      // Complete only when every target was listed: a key may be held only by one that was
      // skipped (a quorum write that missed the listed ones). Otherwise the next check retries.
      const clean = report.skippedTargets.length === 0 && report.errors.every((e) => e.target !== target);
      if (!clean || this.#closed()) return outcome;
      if (mark !== undefined && !(await restoreMarkHeld(ctx, target, mark))) {
        outcome = 'lost again';
        return outcome;
      }
      await this.#epochs.restored(ctx, target);
      outcome = 'restored';
      return outcome;
    } finally {
      // Each restore places its own: removed however it ended (a lost one went with the data).
      if (mark !== undefined && outcome !== 'lost again') await dropRestoreMarks(ctx, target, mark);
    }
  }

  /** Resolves once every restore running now has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }
}
