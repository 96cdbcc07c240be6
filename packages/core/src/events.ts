import type { FailureKind } from './failure-kind.js';

/**
 * Every event a router emits, by name, with its payload. Targets appear by name only (a target
 * object may hold a client or credentials); errors are passed as they were thrown.
 */
export interface FailoverEvents {
  /** A call moved from one target to the next because the first failed or was skipped (breaker open). */
  failover: {
    readonly from: string;
    readonly to: string;
    readonly kind: FailureKind;
    readonly error: unknown;
  };
  /**
   * A breaker opened. `kind` is the failure that tripped it; the first probe comes after
   * `resetTimeoutMs`. `remote` is true when it was opened by {@link Failover.trip} (another
   * instance saw the target fail; `reason` is the one given there, and `kind` is `undefined`),
   * false when this router's own calls tripped it (no `reason`), or {@link Failover.eject} did
   * (`reason` is the one given there, e.g. the multi-cloud store's `'unresponsive'`, or
   * `'ejected'`).
   */
  open: {
    readonly target: string;
    readonly kind: FailureKind | undefined;
    readonly resetTimeoutMs: number;
    readonly remote: boolean;
    readonly reason?: string | undefined;
  };
  /** A breaker's reset timeout passed: the next call to the target is a probe. */
  halfOpen: { readonly target: string; readonly resetTimeoutMs: number };
  /**
   * A breaker closed: its probe succeeded (`remote: false`), or {@link Failover.recover} closed
   * it because another instance saw the target healthy (`remote: true`).
   */
  close: { readonly target: string; readonly remote: boolean };
  /** A call will retry a target after `delayMs`; `attempt` is the number of the coming attempt. */
  retry: {
    readonly target: string;
    readonly attempt: number;
    readonly delayMs: number;
    readonly kind: FailureKind;
    readonly error: unknown;
  };
  /** A call had no answer after `afterMs` and started the same call on another target. */
  hedge: { readonly from: string; readonly to: string; readonly afterMs: number };
  /** A target was skipped without a call because its breaker is open (or its probe is taken). */
  rejected: { readonly target: string };
  /**
   * A call had no target left (every other one skipped by its breaker, or tried and failed) and
   * waits for the half-open probe in flight on `target`, which it has not tried (panic routing;
   * `early: false`), or, with no probe to join, probes `target` itself before its reset period
   * ends (`early: true`: the open target it has not tried that failed least recently, at least a
   * second ago).
   */
  panic: { readonly target: string; readonly early: boolean };
  /** The retry budget could not pay for a retry (or a hedge) on `target`; the call moves on instead. */
  budgetExhausted: { readonly target: string; readonly tokens: number; readonly cost: number };
}

/** The name of a router event. */
export type FailoverEventName = keyof FailoverEvents;

/** A listener of the event `E`. */
export type FailoverListener<E extends FailoverEventName> = (payload: FailoverEvents[E]) => void;
