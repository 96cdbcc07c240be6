/**
 * Unresponsive-target ejection: whether one outstanding request counts as a strike against its
 * target, and when strikes open the target's breaker. A pure decision (no clock, no I/O),
 * table-tested in test/multi-unresponsive-rule.test.ts; `UnresponsiveWatch` (unresponsive.ts)
 * gathers the facts.
 *
 * The case it is for: a target that accepts connections and never answers (a blackhole). Its
 * failures only come back when a time limit passes (the adapters' `responseTimeoutMs`, 2 s by
 * default), and in a quorum write nothing waits for them: the copy to it is a straggler, and many
 * more writes are offered before its first failure counts. Its silence is visible earlier,
 * **relative to its peers**: they answer requests sent after its own.
 *
 * What must not count:
 *
 * - a target that is slower but answers: any answer from it since a request was sent means that
 *   request is not a strike, and an answer ends the streak; a request is overdue only after
 *   `afterMs` (and `factor` times a peer's latency on a request sent after it), which is above
 *   the latency of a slow cloud (the bench's 300 ms);
 * - a big upload making progress: the target taking the body's bytes counts as an answer;
 * - this process's own stall: stalls that can hide an answer (core's `HIDING_STALL_MS` or longer)
 *   are not silence (the same reasoning as core's stall excuse: while peers' answers are read,
 *   an answer of this target would be read too, unless a stall long enough hid it);
 * - a request with no peer's answer to compare with (a lone request, every target silent): the
 *   process cannot tell the target's silence from its own or the network's; time limits decide.
 *
 * @internal
 */

/** The limits (the store's `unresponsive` option, resolved). */
export interface UnresponsiveLimits {
  /** A request is overdue after at least this long without an answer, ms. */
  readonly afterMs: number;
  /** ... and at least this many times the latency of a peer's answer to a newer request. */
  readonly factor: number;
  /** Strikes in a row (no answer from the target in between) that open its breaker. */
  readonly strikes: number;
  /**
   * The hold: a target with this many *late* requests outstanding (see {@link isLate}) gets no
   * new write copies until it answers; `undefined` when the hold is off.
   */
  readonly hold: HoldLimits | undefined;
}

/** When a target's silence puts it on hold (see {@link isLate}). */
export interface HoldLimits {
  /** A request is late after at least this long without an answer, ms. */
  readonly afterMs: number;
  /** Late requests outstanding at once that put the target on hold. */
  readonly requests: number;
}

/** What is known of one outstanding request when a peer answered a request sent after it. */
export interface SilenceFacts {
  /**
   * Time since the request was sent, or since its body last made progress (the target took some
   * of its bytes), ms.
   */
  readonly silentMs: number;
  /** Of that time, how long this process was stalled (stalls that can hide an answer only), ms. */
  readonly stalledMs: number;
  /**
   * The latency of a peer's answer to a request sent at or after this one, ms; `undefined` when
   * no peer answered such a request.
   */
  readonly peerLatencyMs: number | undefined;
  /** The target answered another request since this one was sent. */
  readonly answeredSince: boolean;
  /**
   * The target's own typical latency: the median of its last answers, ms; `undefined`
   * before it answered anything.
   */
  readonly ownTypicalMs?: number | undefined;
}

/**
 * True when the request counts as a strike: no answer from its target since it was sent, a peer
 * answered a request sent after it, and it has been silent (stalls of this process taken out) for
 * at least `afterMs` and at least `factor` times that peer's latency.
 */
export function isOverdue(f: SilenceFacts, limits: UnresponsiveLimits): boolean {
  return silentPast(f, (peerMs) => Math.max(limits.afterMs, limits.factor * peerMs));
}

/**
 * How many times the target's own typical answer (`ownTypicalMs`) a request must be silent to be
 * late. 1.5 and not 2: s3rver's median answer is 20 to 27 ms where its peers answer in 3 to 7 ms,
 * and at 2 its blackholed copies were late only at the 4th sequential put (the 7th call) in half
 * the runs, at 1.5 at the 2nd (the 3rd call) in 11 of 12 runs; a healthy cloud's slower answers
 * then hold it about once in 40 puts (twice in ten runs of 40 at 2), each costing a repair copy.
 */
export const OWN_LATE_FACTOR = 1.5;

/**
 * The most times a peer's latency (on a newer request) a request must be silent to be late: the
 * hold's bar uses the lower of this and `factor` (4 by default, the ejection's). 2 and not 4: with
 * 8 calls in flight the peers answer in 30 to 60 ms (the client's own queue), so at 4 times that a
 * blackholed cloud's copies were late only after 3 to 5 waves of writes (it was sent 22 to 41 puts);
 * at 2, after 1 to 3 waves (8 to 24 puts), and sequentially at the 2nd or 3rd put (7 to 13
 * calls before). A healthy slower cloud is kept by {@link OWN_LATE_FACTOR}: its own typical answer
 * sets its bar.
 */
export const HOLD_PEER_FACTOR = 2;

/**
 * True when the request is *late*: the facts of {@link isOverdue}, with a much lower bar. It has
 * been silent (stalls of this process taken out) for at least `hold.afterMs`, the lower of
 * `factor` and {@link HOLD_PEER_FACTOR} times the peer's latency, and {@link OWN_LATE_FACTOR}
 * times the target's own typical answer (`ownTypicalMs`). A late request only
 * holds the target's new write copies back until the target answers anything (see
 * `UnresponsiveWatch.held`): a wrong guess costs a repair copy, not a breaker open for its reset
 * timeout, so the bar can sit near the target's own latency where {@link isOverdue}'s cannot.
 */
export function isLate(f: SilenceFacts, limits: UnresponsiveLimits): boolean {
  const hold = limits.hold;
  return (
    hold !== undefined &&
    silentPast(f, (peerMs) =>
      Math.max(
        hold.afterMs,
        Math.min(limits.factor, HOLD_PEER_FACTOR) * peerMs,
        OWN_LATE_FACTOR * (f.ownTypicalMs ?? 0),
      ),
    )
  );
}

/**
 * True when the request's silence proves something (the target answered nothing since it was
 * sent, and a peer answered a newer request) and this process listened for an answer (its
 * silence, stalls taken out) at least `bar(peer's latency)` ms.
 */
function silentPast(f: SilenceFacts, bar: (peerLatencyMs: number) => number): boolean {
  if (f.answeredSince || f.peerLatencyMs === undefined) return false;
  return f.silentMs - Math.max(0, f.stalledMs) >= bar(f.peerLatencyMs);
}

/** The streak after one more strike, and whether it opens the breaker. */
export interface StrikeDecision {
  readonly strikes: number;
  readonly eject: boolean;
}

/**
 * One more strike: the streak grows; at `limits.strikes` the breaker opens (and the streak starts
 * again from 0). A target `starved` of evidence opens at once: it is on hold (it gets no new copy,
 * so no new request of it can strike) and every request it still holds has struck. Waiting for
 * `limits.strikes` would wait for requests that are never sent, and only the outstanding
 * requests' own time limits would open it, seconds later. An answer from the target resets the
 * streak to 0 (not decided here).
 */
export function strike(strikes: number, limits: UnresponsiveLimits, starved = false): StrikeDecision {
  const next = strikes + 1;
  return starved || next >= limits.strikes ? { strikes: 0, eject: true } : { strikes: next, eject: false };
}
