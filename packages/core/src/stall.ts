import { decideStallExcuse, HIDING_STALL_MS, type StallExcuse } from './stall-excuse.js';

/**
 * Event-loop stalls of this process, measured by timer drift: a timer meant to run every
 * `INTERVAL_MS` that runs late by more than `MIN_LAG_MS` records the lateness as a stall. Used
 * to tell a target that did not answer in time from a process that could not listen (a CPU-bound
 * stretch, a long GC): see {@link decideStallExcuse} (stall-excuse.ts) for when a timeout is
 * excused, and why small lags and peers' answers matter.
 *
 * The timer runs only while the router has time limits pending (its `Timeouts` say when: see
 * `busy`/`idle`), is unref'd, and costs a few microseconds per tick.
 * `Date.now()` is read through `globalThis` at each use, so fake timers drive it.
 *
 * Exported by the package as {@link StallMonitor} for the other `@failover` packages (the
 * multi-cloud store's unresponsive-target watch measures its stalls with one).
 */

const INTERVAL_MS = 50;
/** Lateness below this is ordinary scheduling noise. */
const MIN_LAG_MS = 20;
/** Stalls remembered (the oldest is forgotten first): 3 s of ticks that are all late. */
const SIZE = 64;

/**
 * What a target tells the monitor: its name, and a time (`Date.now()`) at or before its last
 * answer, 0 for none. `TargetHealth` is one.
 */
export interface AnswerSource {
  readonly name: string;
  readonly answeredAt: number;
}

/**
 * Test seam: lag added to every tick of every monitor, as if this process were CPU-bound (each
 * timer tick that late), without burning CPU. 0 (the default) for none.
 */
let simulatedLagMs = 0;

/**
 * Test seam (@internal, not exported by the package): makes every stall monitor of this process
 * see each of its ticks `ms` late from now on, simulating sustained CPU overload
 * deterministically; `0` stops it.
 */
export function simulateEventLoopLag(ms: number): void {
  simulatedLagMs = ms;
}

/**
 * Measures this process's event-loop stalls by timer drift (a 50 ms unref'd interval that runs
 * between {@link StallMonitor.busy} and {@link StallMonitor.idle}), and decides whether a timeout
 * is better explained by them ({@link StallMonitor.excuse}). The router keeps one; another part
 * of `@failover` that must tell a silent peer from a blocked process (the multi-cloud store's
 * unresponsive-target watch) keeps its own and reads {@link StallMonitor.stalledSince}.
 */
export class StallMonitor {
  readonly #ends = new Float64Array(SIZE);
  readonly #lengths = new Float64Array(SIZE);
  readonly #sources: AnswerSource[] = [];
  #next = 0;
  #lastTick = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** Time limits are pending: make sure the drift timer runs. */
  busy(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#lastTick = Date.now();
    const timer = setInterval(StallMonitor.#tick, INTERVAL_MS, this);
    timer.unref?.();
    this.#timer = timer;
  }

  /** True while the drift timer runs. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * The time (`Date.now()`) of the monitor's last look: at or before now, at most one tick ago
   * while it runs. A target stamps its answers with it (`AnswerSource.answeredAt`), which costs no
   * clock read on the call path.
   */
  get lastLook(): number {
    return this.#lastTick;
  }

  /** Lets the monitor read a target's last answer (peers' answers prove this process listened). */
  watch(source: AnswerSource): void {
    this.#sources.push(source);
  }

  /** No time limit is pending: stop the timer (stalls then no longer matter). */
  idle(): void {
    this.#stop();
  }

  /** Stops the timer for good. */
  close(): void {
    this.#closed = true;
    this.#stop();
  }

  /**
   * Milliseconds this process was stalled since `since` (a `Date.now()` time), including a stall
   * ending right now that the timer has not seen yet; with `minStallMs`, only stalls at least that
   * long count.
   */
  stalledSince(since: number, minStallMs = 0): number {
    if (this.#timer === undefined) return 0;
    this.#poll(Date.now(), 0);
    let total = 0;
    for (let i = 0; i < SIZE; i++) {
      const end = this.#ends[i]!;
      const length = this.#lengths[i]!;
      if (end <= since || length < minStallMs) continue;
      total += Math.min(length, end - since);
    }
    return total;
  }

  /**
   * The last time (`Date.now()`, a lower bound) a target other than `target` answered, if after
   * `since`; else `undefined`.
   */
  #peerAnsweredAt(since: number, target: string | undefined): number | undefined {
    let at: number | undefined;
    for (const s of this.#sources) {
      if (s.name !== target && s.answeredAt > since && (at === undefined || s.answeredAt > at)) {
        at = s.answeredAt;
      }
    }
    return at;
  }

  /**
   * Whether an attempt of `target` that started at `startedAt` and timed out now is excused (see
   * {@link decideStallExcuse}); `limitMs` is its own limit, `undefined` for a timeout the
   * operation reported itself.
   */
  excuse(startedAt: number, limitMs: number | undefined, target?: string): StallExcuse {
    const peerAt = this.#peerAnsweredAt(startedAt, target);
    return decideStallExcuse({
      elapsedMs: Date.now() - startedAt,
      stalledMs: this.stalledSince(startedAt),
      stalledSincePeerMs: peerAt === undefined ? undefined : this.stalledSince(peerAt, HIDING_STALL_MS),
      limitMs,
    });
  }

  /**
   * True when an attempt of `target` that started at `startedAt` and was given `limitMs` has not
   * had that much time with this process listening: its limit passed because this process was
   * blocked (see {@link StallMonitor.excuse}).
   */
  explainsTimeout(startedAt: number, limitMs: number, target?: string): boolean {
    return this.excuse(startedAt, limitMs, target).excused;
  }

  /**
   * True when a `timeout` failure of `target` reported by the operation itself (an SDK's own
   * timer) is better explained by a stall of this process (see {@link StallMonitor.excuse}).
   */
  explainsFailure(startedAt: number, target?: string): boolean {
    return this.excuse(startedAt, undefined, target).excused;
  }

  static #tick(m: StallMonitor): void {
    m.#poll(Date.now(), simulatedLagMs);
  }

  #poll(now: number, extraLagMs: number): void {
    const lag = now - this.#lastTick - INTERVAL_MS + extraLagMs;
    if (lag >= MIN_LAG_MS) {
      this.#ends[this.#next] = now;
      this.#lengths[this.#next] = lag;
      this.#next = (this.#next + 1) % SIZE;
    }
    if (now > this.#lastTick) this.#lastTick = now;
  }

  #stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
