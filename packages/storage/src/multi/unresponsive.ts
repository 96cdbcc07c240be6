import { classifyFailure, HIDING_STALL_MS, isAvailabilityKind, StallMonitor } from '@failover/core';
import {
  isLate,
  isOverdue,
  type SilenceFacts,
  strike,
  type UnresponsiveLimits,
} from './unresponsive-rule.js';

/** One request to one target, from its start to its end. */
export interface WatchedRequest {
  readonly target: string;
  /** When it was sent (`Date.now()`). */
  readonly sentAt: number;
  /** When its body last made progress (its target took bytes); `sentAt` until then. */
  activeAt: number;
  /** Already counted as a strike (or its target was ejected since). */
  struck: boolean;
  /** Counted as late (see `isLate`) since its target last answered. */
  late: boolean;
}

interface TargetState {
  readonly outstanding: Set<WatchedRequest>;
  /** When it last answered (`Date.now()`); 0 for never. */
  answeredAt: number;
  strikes: number;
  /** Outstanding requests counted as late. */
  late: number;
  /** Whether it is on hold (the last `onHold` call said so). */
  held: boolean;
  /** Latencies of its last answers, ms (at most {@link RECENT_ANSWERS}, oldest first). */
  readonly recent: number[];
}

/** How many of a target's last answers its own recent latency is taken from. */
const RECENT_ANSWERS = 16;

interface PeerAnswer {
  readonly target: string;
  readonly sentAt: number;
  readonly latencyMs: number;
}

const now = (): number => globalThis.Date.now();

/**
 * Watches the requests the multi-cloud store sends to each target (copies of writes, reads,
 * its own heads) and ejects a target that stays silent while its peers answer newer requests:
 * the decision is {@link isOverdue} and {@link strike} (unresponsive-rule.ts, which says what
 * must not count); this class gathers the facts:
 *
 * - when a target answers (a success, or a failure that is an answer: not found, 4xx...), the
 *   other targets' outstanding requests sent at or before that request are looked at, once the
 *   current turn of the event loop has read every answer that was waiting (`setImmediate`);
 * - core's stall monitor (`StallMonitor`, its drift timer running only while requests are
 *   outstanding, unref'd) measures this process's stalls, which are not silence: only those that
 *   can hide an answer (core's `HIDING_STALL_MS` or longer; shorter ones are the scheduling lags
 *   of a loaded machine, which delay reading an answer by as much and never explain a request
 *   silent for hundreds of ms);
 * - the target's own answers end its streak; a streamed body's progress restarts its request's
 *   silence.
 *
 * Before the ejection, a lower bar ({@link isLate}, near the target's own latency) puts a target
 * on hold ({@link UnresponsiveWatch.held}): writes send it no new copy until it answers.
 *
 * The outstanding request is never aborted: its late answer (or failure) is handled by the
 * write or read that sent it, as before. With `limits` undefined (the option is off) it records
 * nothing.
 */
export class UnresponsiveWatch {
  readonly #limits: UnresponsiveLimits | undefined;
  readonly #eject: (target: string) => void;
  readonly #onHold: ((target: string, held: boolean) => void) | undefined;
  readonly #targets = new Map<string, TargetState>();
  #outstanding = 0;
  #answers: PeerAnswer[] = [];
  #scheduled: ReturnType<typeof setImmediate> | undefined;
  /** The request being started (set while its operation's synchronous part runs). */
  #current: WatchedRequest | undefined;
  readonly #stalls = new StallMonitor();
  #closed = false;

  /**
   * `eject` opens a target's breaker; `onHold` is told when a target goes on hold and when it
   * comes off it (see {@link UnresponsiveWatch.held}).
   */
  constructor(
    limits: UnresponsiveLimits | undefined,
    eject: (target: string) => void,
    onHold?: (target: string, held: boolean) => void,
  ) {
    this.#limits = limits;
    this.#eject = eject;
    this.#onHold = onHold;
  }

  /**
   * True while `target` is on hold: `hold.requests` of its requests are outstanding and late
   * (silent while its peers answered newer ones, see `isLate`), and it answered nothing since. A
   * parallel write sends no copy to a target on hold when the others can make its quorum (the
   * journal records it as missing; repair copies it): a blackholed cloud stops receiving writes
   * within a few calls, long before its breaker can open. Its first answer lifts the hold.
   */
  held(target: string): boolean {
    return this.#targets.get(target)?.held === true;
  }

  /**
   * Runs `op`, one request to `target`, watching it: its answer (or silence) counts as described
   * in the class comment. Returns what `op` returns.
   */
  track<R>(target: string, op: () => Promise<R>): Promise<R> {
    if (this.#limits === undefined || this.#closed) return op();
    const req: WatchedRequest = { target, sentAt: now(), activeAt: 0, struck: false, late: false };
    req.activeAt = req.sentAt;
    this.#state(target).outstanding.add(req);
    if (this.#outstanding++ === 0) this.#stalls.busy();
    const outer = this.#current;
    this.#current = req;
    let p: Promise<R>;
    try {
      p = op();
    } catch (err) {
      this.#settled(req, isAnswer(err));
      throw err;
    } finally {
      this.#current = outer;
    }
    p.then(
      () => this.#settled(req, true),
      (err: unknown) => this.#settled(req, isAnswer(err)),
    );
    return p;
  }

  /**
   * A callback saying the request being started now (inside {@link UnresponsiveWatch.track}'s
   * operation, before its first `await`) made progress: its target took some of its body.
   * `undefined` when no request is being started.
   */
  activity(): (() => void) | undefined {
    const req = this.#current;
    if (req === undefined) return undefined;
    return () => {
      req.activeAt = now();
    };
  }

  /** Stops the timers; records nothing more. */
  close(): void {
    this.#closed = true;
    this.#stalls.close();
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#answers = [];
  }

  #state(target: string): TargetState {
    let s = this.#targets.get(target);
    if (s === undefined) {
      s = { outstanding: new Set(), answeredAt: 0, strikes: 0, late: 0, held: false, recent: [] };
      this.#targets.set(target, s);
    }
    return s;
  }

  #settled(req: WatchedRequest, answered: boolean): void {
    const s = this.#state(req.target);
    if (!s.outstanding.delete(req)) return;
    if (--this.#outstanding === 0) this.#stalls.idle();
    if (req.late) s.late--;
    if (!answered || this.#closed) {
      this.#holdChanged(req.target, s);
      return;
    }
    const at = now();
    s.answeredAt = at;
    s.strikes = 0;
    // It answered: none of its requests is late any more.
    for (const other of s.outstanding) other.late = false;
    s.late = 0;
    this.#holdChanged(req.target, s);
    s.recent.push(at - req.sentAt);
    if (s.recent.length > RECENT_ANSWERS) s.recent.shift();
    this.#answers.push({ target: req.target, sentAt: req.sentAt, latencyMs: at - req.sentAt });
    if (this.#outstanding > 0 && this.#scheduled === undefined) {
      this.#scheduled = setImmediate(() => this.#check());
    }
  }

  /** Puts `target` on hold or takes it off, as its late requests now say, and says so once. */
  #holdChanged(target: string, s: TargetState): void {
    const hold = this.#limits?.hold;
    const held = hold !== undefined && !this.#closed && s.late >= hold.requests;
    if (held === s.held) return;
    s.held = held;
    this.#onHold?.(target, held);
  }

  /** Looks at every outstanding request that a peer's answer overtook (see the class comment). */
  #check(): void {
    this.#scheduled = undefined;
    const answers = this.#answers;
    this.#answers = [];
    const limits = this.#limits;
    if (limits === undefined || this.#closed) return;
    const at = now();
    for (const [target, s] of this.#targets) {
      if (s.outstanding.size === 0) continue;
      const ownSlowMs = limits.hold === undefined ? undefined : secondSlowest(s.recent);
      for (const req of s.outstanding) {
        if (req.struck && req.late) continue;
        let peerLatencyMs: number | undefined;
        for (const a of answers) {
          if (a.target === target || a.sentAt < req.sentAt) continue;
          peerLatencyMs = Math.max(peerLatencyMs ?? 0, a.latencyMs);
        }
        if (peerLatencyMs === undefined) continue;
        const since = Math.max(req.sentAt, req.activeAt);
        const facts: SilenceFacts = {
          silentMs: at - since,
          stalledMs: this.#stalls.stalledSince(since, HIDING_STALL_MS),
          peerLatencyMs,
          answeredSince: s.answeredAt > req.sentAt,
          ownSlowMs,
        };
        if (!req.late && isLate(facts, limits)) {
          req.late = true;
          s.late++;
          this.#holdChanged(target, s);
        }
        if (req.struck || !isOverdue(facts, limits)) continue;
        req.struck = true;
        const d = strike(s.strikes, limits);
        s.strikes = d.strikes;
        if (d.eject) {
          // Its other requests proved the same silence: none counts again.
          for (const other of s.outstanding) other.struck = true;
          this.#eject(target);
          break;
        }
      }
    }
  }
}

/** The second-slowest of `latencies` (the slowest when there is one); `undefined` when empty. */
function secondSlowest(latencies: readonly number[]): number | undefined {
  if (latencies.length < 2) return latencies[0];
  let first = -1;
  let second = -1;
  for (const l of latencies) {
    if (l > first) {
      second = first;
      first = l;
    } else if (l > second) second = l;
  }
  return second;
}

/** True when a failed request was answered by its target (not an outage, not cancelled). */
function isAnswer(err: unknown): boolean {
  const kind = classifyFailure(err);
  return kind !== 'aborted' && !isAvailabilityKind(kind);
}
