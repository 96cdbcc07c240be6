import { redact } from '@failover/core';
import type { MultiContext } from './context.js';
import { probeRetry } from './probe-retry.js';
import { type IdleFleetPasses, repairPass } from './repair.js';
import type { RepairReport, RepairRunOptions } from './types.js';

/**
 * Runs repair passes one at a time: on demand (`run`), on an interval, a little after writes are
 * journaled (throttled to one pass per `delayMs`), and when a target recovers. A call while a pass
 * runs gets the next pass (calls made meanwhile share it). A pass whose pairs were all skipped
 * because a half-open breaker's probe was busy asks for another one soon (see `probeRetry`:
 * bounded, backing off), and a deferred pair asks for one when its window has passed (`at`).
 * A store told not to repair by itself (not `automatic`: `onRecovery`, `intervalMs` and `delayMs`
 * all off, as a tool or batch job is) starts no pass but those its caller asks for: the follow-ups
 * wait for its next `repair()`. Timers are unref'd: they never keep the process alive.
 */
export class RepairScheduler {
  readonly #ctx: () => MultiContext;
  readonly #intervalMs: number | undefined;
  readonly #delayMs: number | undefined;
  readonly #automatic: boolean;
  #running: Promise<RepairReport> | undefined;
  #queued: Promise<RepairReport> | undefined;
  #interval: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #at: NodeJS.Timeout | undefined;
  #atTime = Number.POSITIVE_INFINITY;
  #stopped = false;
  /** Passes in a row that asked for another one because a half-open probe was busy. */
  #probeRetries = 0;
  /** What automatic passes remember of an idle one (see {@link IdleFleetPasses}). */
  readonly #idle: IdleFleetPasses = { last: undefined };
  /** Whether an explicit `repair()` joined the queued pass (it then reads the whole journal). */
  #queuedExplicit = false;
  /** The last finished pass. */
  last: RepairReport | undefined;
  /** The last pass that failed as a whole. */
  lastError: { at: number; message: string } | undefined;

  /** `automatic`: whether the store starts passes by itself (see the class comment). */
  constructor(
    ctx: () => MultiContext,
    intervalMs: number | undefined,
    delayMs: number | undefined,
    automatic = true,
  ) {
    this.#ctx = ctx;
    this.#intervalMs = intervalMs;
    this.#delayMs = delayMs;
    this.#automatic = automatic;
  }

  /** Starts the interval timer. */
  start(): void {
    if (this.#intervalMs === undefined || this.#stopped) return;
    this.#interval = setInterval(() => this.#background(), this.#intervalMs);
    this.#interval.unref?.();
  }

  /** True while a pass runs. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Runs a pass now, or the next one when a pass is running. `automatic`: a pass of the store's
   * own timers, which on a fleet's journal may skip reading it while nothing could be copied
   * (see {@link IdleFleetPasses}); a `repair()` call's always reads it.
   */
  run(options: RepairRunOptions = {}, automatic = false): Promise<RepairReport> {
    if (this.#running === undefined) return this.#start(options, automatic);
    // A queued pass an explicit call joined is an explicit one (it reads the whole journal).
    if (!automatic) this.#queuedExplicit = true;
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        const explicit = this.#queuedExplicit;
        this.#queuedExplicit = false;
        return this.#start(options, !explicit);
      });
    return this.#queued;
  }

  /** Asks for a pass after `delayMs` (at most one pending request). */
  soon(delayMs = this.#delayMs): void {
    if (delayMs === undefined || this.#stopped || this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#background();
    }, delayMs);
    this.#soon.unref?.();
  }

  /**
   * Asks for a pass at `time` (ms since the epoch), e.g. when a deferred pair may be resolved.
   * Keeps only the earliest such request.
   */
  at(time: number): void {
    if (this.#stopped || !this.#automatic) return;
    if (this.#at !== undefined && this.#atTime <= time) return;
    if (this.#at !== undefined) clearTimeout(this.#at);
    this.#atTime = time;
    this.#at = setTimeout(
      () => {
        this.#at = undefined;
        this.#atTime = Number.POSITIVE_INFINITY;
        this.#background();
      },
      Math.max(0, time - Date.now()) + 1,
    );
    this.#at.unref?.();
  }

  /** Stops the timers and waits for a running pass. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#interval !== undefined) clearInterval(this.#interval);
    if (this.#soon !== undefined) clearTimeout(this.#soon);
    if (this.#at !== undefined) clearTimeout(this.#at);
    this.#at = undefined;
    this.#interval = undefined;
    this.#soon = undefined;
    await this.#queued?.catch(() => undefined);
    await this.#running?.catch(() => undefined);
  }

  #background(): void {
    if (this.#stopped) return;
    const ctx = this.#ctx();
    if (ctx.journal.backlog() === 0) {
      // Nothing to copy: still look for targets that lost their data, now and then.
      ctx.epochs.sweep(ctx).then(
        () => {
          for (const t of ctx.epochs.amnesiac()) ctx.amnesiaFound(t);
          void ctx.journalResetRetry();
        },
        (err: unknown) => {
          if (ctx.events.has('error')) ctx.events.emit('error', { during: 'epoch', error: err });
        },
      );
      return;
    }
    // While a pass runs, the request becomes the next pass (shared with other requests).
    if (this.#running !== undefined && this.#queued !== undefined) return;
    this.run({}, true).catch(() => {
      // Reported through the 'error' event and status().repair.lastError.
    });
  }

  #start(options: RepairRunOptions, automatic: boolean): Promise<RepairReport> {
    const ctx = this.#ctx();
    const pass = (async () => {
      try {
        const skips = { probeBusy: 0 };
        const report = await repairPass(ctx, options, skips, automatic ? this.#idle : undefined);
        this.last = report;
        const next = probeRetry(
          { ...report, probeBusy: skips.probeBusy, aborted: options.signal?.aborted === true },
          this.#probeRetries,
        );
        this.#probeRetries = next.retries;
        if (next.delayMs !== undefined) this.at(Date.now() + next.delayMs);
        if (ctx.events.has('repairFinished')) ctx.events.emit('repairFinished', report);
        return report;
      } catch (err) {
        this.lastError = {
          at: Date.now(),
          message: redact(err instanceof Error ? err.message : String(err)),
        };
        if (ctx.events.has('error')) ctx.events.emit('error', { during: 'repair', error: err });
        throw err;
      } finally {
        this.#running = undefined;
      }
    })();
    this.#running = pass;
    return pass;
  }
}
