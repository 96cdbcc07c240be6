/**
 * Which target a lane of a call goes to next: the next one in order whose breaker admits the call
 * (recording and announcing the ones it skips, and announcing the failover or the hedge), or, when
 * none does, panic routing: join a half-open probe in flight on a target the call has not tried.
 *
 * @internal
 */
import type { CallLog } from './call-log.js';
import type { TypedEmitter } from './emitter.js';
import type { FailoverEvents } from './events.js';
import type { FailureKind } from './failure-kind.js';
import type { TargetHealth } from './target-health.js';

/** No target: the lane looks for the next one, or has none. */
export const NEXT = -1;

/** The target a lane left, for the 'failover' event. */
export interface Left<T> {
  readonly from: TargetHealth<T>;
  readonly kind: FailureKind;
  readonly err: unknown;
}

/** How long a hedge waited for the target it hedges (for the 'hedge' event). */
export interface HedgeDelay<T> {
  delay(s: TargetHealth<T>): number;
}

/**
 * Takes the next target whose breaker admits the call, recording the skipped ones in `log`;
 * {@link NEXT} if none. `left` is the target the lane just left (a failover); `hedgeFrom` is set
 * for a new hedge lane: the target it hedges (whose wait `hedger` tells).
 */
export function claim<T>(
  log: CallLog<T>,
  events: TypedEmitter<FailoverEvents>,
  left: Left<T> | undefined,
  hedgeFrom: TargetHealth<T> | undefined,
  hedger: HedgeDelay<T> | undefined,
): number {
  const order = log.order;
  while (log.next < order.length) {
    const pos = log.next++;
    const t = order[pos]!;
    if (t.admits()) {
      if (hedgeFrom !== undefined) {
        t.hedges++;
        if (events.has('hedge')) {
          events.emit('hedge', { from: hedgeFrom.name, to: t.name, afterMs: hedger!.delay(hedgeFrom) });
        }
      } else if (left !== undefined) {
        log.failovers++;
        if (events.has('failover')) {
          events.emit('failover', { from: left.from.name, to: t.name, kind: left.kind, error: left.err });
        }
      }
      return pos;
    }
    t.skipped();
    const err = t.openError;
    log.skipped(pos, err);
    if (hedgeFrom === undefined) left = { from: t, kind: 'unavailable', err };
  }
  return NEXT;
}

/**
 * Panic routing: a call left with no target (every other one skipped by its breaker, or tried and
 * failed) while one it has not tried yet is half-open with its probe in flight joins that probe
 * instead of failing at once: it waits for the probe's outcome and goes to that target if the
 * probe closed the breaker; with no probe to join, it probes an open target early
 * ({@link probeEarly}). A call that already failed elsewhere joins too (issue 10: the call
 * that met a second half-open target, probed it and saw it fail, gave up in a millisecond while
 * the first target's probe was about to succeed). Once per call, never for a hedge (`lanes` > 1),
 * never on a target the call already tried; no extra load on a target that may be down. Resolves
 * with the target's position, or {@link NEXT}.
 */
export async function joinProbe<T>(
  log: CallLog<T>,
  events: TypedEmitter<FailoverEvents>,
  lanes: number,
  call: { readonly settled: boolean },
): Promise<number> {
  if (log.panicked || lanes > 1) return NEXT;
  const order = log.order;
  let pos = NEXT;
  for (let i = 0; i < order.length && pos === NEXT; i++) {
    if (order[i]!.probing && log.attempts[i] === 0) pos = i;
  }
  if (pos === NEXT) return probeEarly(log, events);
  log.panicked = true;
  const t = order[pos]!;
  t.joins++;
  if (events.has('panic')) events.emit('panic', { target: t.name, early: false });
  await t.probeSettled();
  return !call.settled && t.admits() ? pos : NEXT;
}

/**
 * Panic routing's last resort, when no probe runs to join: the open target this call has not
 * tried that failed least recently is probed at once (see `TargetHealth.probeEarly`: only when its
 * last failure is at least a second old, so a fleet of dead clouds gets at most one such request
 * per target per second). Only for a call over several targets: a call made for one target (a
 * copy to that cloud, `wrap`) is told at once that it is open, as before.
 */
function probeEarly<T>(log: CallLog<T>, events: TypedEmitter<FailoverEvents>): number {
  const order = log.order;
  if (order.length < 2) return NEXT;
  const pos = probeLeastRecentlyFailed(order, (i) => log.attempts[i] === 0, events, true);
  if (pos !== NEXT) {
    log.panicked = true;
    log.earlyProbe = pos;
  }
  return pos;
}

/**
 * Readies for an early probe (`TargetHealth.probeEarly`) the open target in `order` that failed
 * least recently, among those `eligible` says may be asked (ties go to the earlier target), and
 * announces it (`panic`, `early: true`). Its position, or {@link NEXT} when none may be probed.
 * Shared by calls (above, `reserve`: the probe is the asking call's, see
 * `TargetHealth.releaseEarly`) and by `Failover.probeEarly`, for callers that fan out themselves
 * (their next call admitted is the probe).
 */
export function probeLeastRecentlyFailed<T>(
  order: readonly TargetHealth<T>[],
  eligible: (pos: number) => boolean,
  events: TypedEmitter<FailoverEvents>,
  reserve = false,
): number {
  let pos = NEXT;
  for (let i = 0; i < order.length; i++) {
    const t = order[i]!;
    if (t.state !== 'open' || !eligible(i)) continue;
    if (pos === NEXT || t.lastFailureAt < order[pos]!.lastFailureAt) pos = i;
  }
  if (pos === NEXT || !order[pos]!.probeEarly(Date.now(), reserve)) return NEXT;
  if (events.has('panic')) events.emit('panic', { target: order[pos]!.name, early: true });
  return pos;
}
