import type { FailureKind } from './failure-kind.js';

/**
 * Instrumentation of a router's calls (`observer` option of `createFailover`), for tracing and
 * metrics packages: one {@link CallObservation} per call, one {@link AttemptObservation} per
 * attempt. A router without an observer pays nothing for this.
 *
 * `onCallStart` runs synchronously inside `run()`/`runDetailed()`, so the caller's active async
 * context (e.g. OpenTelemetry's active span) is current there: start the call's span then.
 * `onAttemptStart` may run later (after a backoff, or from a hedge timer): parent the attempt's
 * span on the call's, not on the context active at that moment, and use
 * {@link AttemptObservation.run} to make it active while the operation runs.
 *
 * Hooks must not throw; one that does is reported once as a process warning and ignored.
 *
 * @example
 * const observer: CallObserver = {
 *   onCallStart: ({ targets }) => {
 *     const started = Date.now();
 *     return {
 *       onAttemptStart: (target) => ({ end: (o) => metrics.attempt(target, o.ok ? 'ok' : o.kind) }),
 *       end: (o) => metrics.call(o.ok ? 'ok' : o.kind, Date.now() - started, targets.length),
 *     };
 *   },
 * };
 */
export interface CallObserver {
  /**
   * A call starts (its options were valid). Return an observation to follow it, or `undefined`
   * to ignore this call (e.g. when sampled out).
   */
  onCallStart(info: CallStartInfo): CallObservation | undefined;
}

/** What {@link CallObserver.onCallStart} is told about a call. */
export interface CallStartInfo {
  /** The call's `idempotent` option. */
  readonly idempotent: boolean;
  /** The names of the targets the call may use, in order of preference (the call's `targets`). */
  readonly targets: readonly string[];
}

/** One observed call. */
export interface CallObservation {
  /**
   * An attempt starts on `target`: `attemptNo` is its number on that target (from 1, as the
   * operation's `context.attempt`), `hedge` is true for a hedged attempt (sent while another
   * attempt of the call still runs). Return an observation of the attempt, or `undefined`.
   */
  onAttemptStart(target: string, attemptNo: number, hedge: boolean): AttemptObservation | undefined;
  /** The call ended; called exactly once, after every attempt observation of the call ended. */
  end(outcome: CallOutcome): void;
}

/** One observed attempt. */
export interface AttemptObservation {
  /**
   * Optional: runs the operation. The router calls the operation as `run(() => fn(target,
   * context))`, so the attempt's span can be made the active context while it runs (and the SDK's
   * own instrumentation nests under it). Must return what `fn` returns.
   */
  run?<R>(fn: () => R): R;
  /** The attempt ended: a success, or a failure of `kind` (`aborted` when it lost a hedge race). */
  end(outcome: AttemptOutcome): void;
}

/** How an attempt ended. */
export type AttemptOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly kind: FailureKind;
      /**
       * The failure proves the request never reached the target (connection refused, name not
       * resolved, connect or TLS handshake failed: `failedBeforeSending`), the kind of failure
       * that opens a breaker after `breaker.consecutiveConnectFailures`: `true`, else absent (a
       * skip by an open breaker and an attempt cut by the call's end included).
       */
      readonly neverSent?: boolean;
      /**
       * The connection was reset or closed before any answer (`failedWithoutAnswer`): `true`,
       * else absent. Never set with `neverSent`. The request may have reached the target; a
       * killed target shows first this way on pooled connections, then as refused connections.
       */
      readonly unanswered?: boolean;
    };

/** How a call ended. */
export type CallOutcome =
  | {
      readonly ok: true;
      /** The target that served the call. */
      readonly target: string;
      /** Attempts made over every target, the successful one included. */
      readonly attempts: number;
      /** How many times the call moved to another target (after a failure or a skip). */
      readonly failoverCount: number;
    }
  | {
      readonly ok: false;
      /** The kind of the error the call rejected with. */
      readonly kind: FailureKind;
      /** The last target tried, if any. */
      readonly target: string | undefined;
      readonly attempts: number;
      readonly failoverCount: number;
    };

const reported = new WeakSet<object>();

/** Calls an observer hook; a throwing hook is reported once (per observer object) and ignored. */
export function safely<R>(owner: object, fn: () => R): R | undefined {
  try {
    return fn();
  } catch (err) {
    if (!reported.has(owner)) {
      reported.add(owner);
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      process.emitWarning(`A failover observer hook threw (${message}); the call was not affected`, {
        type: 'FailoverObserverWarning',
        code: 'FAILOVER_OBSERVER_THREW',
      });
    }
    return undefined;
  }
}
