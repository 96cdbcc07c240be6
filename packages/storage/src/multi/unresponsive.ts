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
  /**
   * The lowest of the peers' latencies it was compared with (each look's slowest peer answer to a
   * newer request), ms; `undefined` before the first. Its silence only grows, so comparing it
   * with this one again later (see `UnresponsiveWatch.held`) is comparing it with every look's.
   */
  peerMs: number | undefined;
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
  /**
   * Its late requests that ended without an answer (timed out, or cancelled: a peer won the hedge
   * race) since it last answered: they count towards the hold until `abandonedUntil`.
   */
  abandoned: number;
  /** {@link ABANDONED_LATE_MS} after the last of those (`Date.now()` ms). */
  abandonedUntil: number;
  /** Latencies of its last answers, ms (at most {@link RECENT_ANSWERS}, oldest first). */
  readonly recent: number[];
}

/**
 * How long late requests that ended without an answer (timed out, or cancelled: they lost a hedge
 * race, a peer answering the same call first, as `'primary'` writes and reads do) keep counting
 * towards their target's hold after the last of them ended, ms. So a silent primary is held after
 * two such calls in a row, and a silent copy target stays held when its late copies time out; each
 * is asked again about every 2 s, and one more late request without an answer (none came since)
 * holds it again at once.
 */
const ABANDONED_LATE_MS = 2000;

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
  /** Ends the holds that late requests ended without an answer make, when they stop counting. */
  #expiry: ReturnType<typeof setTimeout> | undefined;

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
    const s = this.#targets.get(target);
    if (s === undefined) return false;
    if (!s.held && s.outstanding.size > 0) this.#lookAgain(target, s);
    return s.held;
  }

  /**
   * Looks at `target`'s outstanding requests again for the hold alone, now: a request becomes late
   * as its silence grows past the bar of a peer answer already seen, not only when the next peer
   * answer comes. So a sequential writer asks before each copy, and a blackholed cloud is held one
   * write sooner. (Strikes wait for the next answers: an ejection is not made inside a question.)
   */
  #lookAgain(target: string, s: TargetState): void {
    const limits = this.#limits;
    if (limits?.hold === undefined || this.#closed) return;
    const at = now();
    const ownTypicalMs = this.#ownTypicalMs(s);
    for (const req of s.outstanding) {
      if (req.late || req.peerMs === undefined) continue;
      this.#markLate(s, req, this.#facts(s, req, req.peerMs, at, ownTypicalMs), limits);
    }
    this.#holdChanged(target, s);
  }

  /** Counts `req` as late when `facts` say it is (see `isLate`); true when it was counted now. */
  #markLate(s: TargetState, req: WatchedRequest, facts: SilenceFacts, limits: UnresponsiveLimits): boolean {
    if (req.late || !isLate(facts, limits)) return false;
    req.late = true;
    s.late++;
    return true;
  }

  /** What is known of `req`'s silence at `at`, against a peer's answer in `peerLatencyMs`. */
  #facts(
    s: TargetState,
    req: WatchedRequest,
    peerLatencyMs: number,
    at: number,
    ownTypicalMs: number | undefined,
  ): SilenceFacts {
    const since = Math.max(req.sentAt, req.activeAt);
    return {
      silentMs: at - since,
      stalledMs: this.#stalls.stalledSince(since, HIDING_STALL_MS),
      peerLatencyMs,
      answeredSince: s.answeredAt > req.sentAt,
      ownTypicalMs,
    };
  }

  /** `order` with the targets on hold moved to its end (the same array when none is). */
  heldLast(order: readonly string[]): readonly string[] {
    if (this.#limits === undefined) return order;
    return lastOf(order, (n) => this.held(n));
  }

  /**
   * Runs `op`, one request to `target`, watching it: its answer (or silence) counts as described
   * in the class comment. Returns what `op` returns.
   */
  track<R>(target: string, op: () => Promise<R>): Promise<R> {
    if (this.#limits === undefined || this.#closed) return op();
    const req: WatchedRequest = {
      target,
      sentAt: now(),
      activeAt: 0,
      struck: false,
      late: false,
      peerMs: undefined,
    };
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
      (err: unknown) => this.#settled(req, isAnswer(err), classifyFailure(err) === 'aborted'),
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
    if (this.#expiry !== undefined) clearTimeout(this.#expiry);
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#answers = [];
  }

  #state(target: string): TargetState {
    let s = this.#targets.get(target);
    if (s === undefined) {
      s = {
        outstanding: new Set(),
        answeredAt: 0,
        strikes: 0,
        late: 0,
        held: false,
        abandoned: 0,
        abandonedUntil: 0,
        recent: [],
      };
      this.#targets.set(target, s);
    }
    return s;
  }

  #settled(req: WatchedRequest, answered: boolean, cancelled = false): void {
    const s = this.#state(req.target);
    if (!s.outstanding.has(req)) return;
    // A request cancelled because a peer answered the same call first (a hedge race) is looked
    // at before it goes, against the answers not looked at yet.
    if (cancelled && !req.late && !this.#closed) {
      this.#look(req.target, s, req, this.#answers, now(), this.#ownTypicalMs(s));
    }
    s.outstanding.delete(req);
    if (--this.#outstanding === 0) this.#stalls.idle();
    if (req.late) {
      s.late--;
      // Late and ended without an answer (cancelled, timed out): it keeps counting a while.
      const hold = this.#limits?.hold;
      if (!answered && !this.#closed && hold !== undefined) this.#abandon(s, hold.requests);
    }
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
    s.abandoned = 0;
    this.#holdChanged(req.target, s);
    s.recent.push(at - req.sentAt);
    if (s.recent.length > RECENT_ANSWERS) s.recent.shift();
    // An answer can only overtake requests outstanding now (the later ones were sent after it).
    if (this.#outstanding === 0) return;
    this.#answers.push({ target: req.target, sentAt: req.sentAt, latencyMs: at - req.sentAt });
    if (this.#scheduled === undefined) this.#scheduled = setImmediate(() => this.#check());
  }

  /** Puts `target` on hold or takes it off, as its late requests now say, and says so once. */
  #holdChanged(target: string, s: TargetState): void {
    const hold = this.#limits?.hold;
    const abandoned = s.abandoned > 0 && now() < s.abandonedUntil ? s.abandoned : 0;
    const held = hold !== undefined && !this.#closed && s.late + abandoned >= hold.requests;
    if (held === s.held) return;
    s.held = held;
    this.#onHold?.(target, held);
  }

  /** A late request of `s` ended without an answer: it counts towards the hold a while more. */
  #abandon(s: TargetState, requests: number): void {
    // Past its time, the row is kept one short of the hold: one more late request holds again.
    if (now() >= s.abandonedUntil) s.abandoned = Math.min(s.abandoned, requests - 1);
    s.abandoned++;
    s.abandonedUntil = now() + ABANDONED_LATE_MS;
    if (this.#expiry === undefined) this.#scheduleExpiry(ABANDONED_LATE_MS);
  }

  /** In `ms`: takes off the holds whose late requests ended without an answer stopped counting. */
  #scheduleExpiry(ms: number): void {
    this.#expiry = setTimeout(() => {
      this.#expiry = undefined;
      if (this.#closed) return;
      let next: number | undefined;
      const at = now();
      for (const [target, t] of this.#targets) {
        this.#holdChanged(target, t);
        if (t.abandoned > 0 && t.abandonedUntil > at)
          next = Math.min(next ?? t.abandonedUntil, t.abandonedUntil);
      }
      if (next !== undefined) this.#scheduleExpiry(Math.max(1, next - at));
    }, ms);
    this.#expiry.unref?.();
  }

  /** Looks at every outstanding request that a peer's answer overtook (see the class comment). */
  #check(): void {
    this.#scheduled = undefined;
    const answers = this.#answers;
    this.#answers = [];
    if (this.#limits === undefined || this.#closed) return;
    const at = now();
    for (const [target, s] of this.#targets) {
      if (s.outstanding.size === 0) continue;
      const ownTypicalMs = this.#ownTypicalMs(s);
      for (const req of s.outstanding) {
        if (req.struck && req.late) continue;
        if (this.#look(target, s, req, answers, at, ownTypicalMs) === 'ejected') break;
      }
    }
  }

  /** The target's own typical answer, the late bar's third term (`undefined` with the hold off). */
  #ownTypicalMs(s: TargetState): number | undefined {
    return this.#limits?.hold === undefined ? undefined : median(s.recent);
  }

  /**
   * Looks at one outstanding request of `target` against the peers' `answers`: late (the hold),
   * overdue (a strike, maybe the ejection). `ownTypicalMs`: {@link UnresponsiveWatch.#ownTypicalMs}.
   */
  #look(
    target: string,
    s: TargetState,
    req: WatchedRequest,
    answers: readonly PeerAnswer[],
    at: number,
    ownTypicalMs: number | undefined,
  ): 'ejected' | undefined {
    const limits = this.#limits;
    if (limits === undefined) return undefined;
    let peerLatencyMs: number | undefined;
    for (const a of answers) {
      if (a.target === target || a.sentAt < req.sentAt) continue;
      peerLatencyMs = Math.max(peerLatencyMs ?? 0, a.latencyMs);
    }
    if (peerLatencyMs === undefined) return undefined;
    req.peerMs = Math.min(req.peerMs ?? peerLatencyMs, peerLatencyMs);
    const facts = this.#facts(s, req, peerLatencyMs, at, ownTypicalMs);
    if (this.#markLate(s, req, facts, limits)) this.#holdChanged(target, s);
    if (req.struck || !isOverdue(facts, limits)) return undefined;
    req.struck = true;
    // On hold, no new request of it is sent: once none is left that can strike, it is left now. A
    // request sent before the target's last answer never can (that answer proves nothing of it).
    let starved = s.held;
    for (const other of s.outstanding) if (!other.struck && other.sentAt >= s.answeredAt) starved = false;
    const d = strike(s.strikes, limits, starved);
    s.strikes = d.strikes;
    if (!d.eject) return undefined;
    // Its other requests proved the same silence: none counts again.
    for (const other of s.outstanding) other.struck = true;
    this.#eject(target);
    return 'ejected';
  }
}

/** The median of `latencies` (the upper one of an even count); `undefined` when empty. */
function median(latencies: readonly number[]): number | undefined {
  if (latencies.length === 0) return undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** True when a failed request was answered by its target (not an outage, not cancelled). */
function isAnswer(err: unknown): boolean {
  const kind = classifyFailure(err);
  return kind !== 'aborted' && !isAvailabilityKind(kind);
}

/** `order` with the names `moved` picks after the others, each group in its own order. */
export function lastOf(order: readonly string[], moved: (name: string) => boolean): readonly string[] {
  const last = order.filter(moved);
  return last.length === 0 ? order : [...order.filter((n) => !moved(n)), ...last];
}
