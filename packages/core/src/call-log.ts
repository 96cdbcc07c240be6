/**
 * What one call has done so far, per target and in total: the record its outcome is made from
 * (the `AllTargetsFailedError`'s failures, `runDetailed`'s result, the observer's outcome, hedge
 * races). Plain bookkeeping: no events, no timers, no I/O.
 *
 * @internal
 */
import type { TargetFailure } from './errors.js';
import type { FailureKind } from './failure-kind.js';
import type { TargetHealth } from './target-health.js';

export class CallLog<T> {
  /** The call's targets, in the order it tries them. */
  readonly order: readonly TargetHealth<T>[];
  /** Attempts made, per position of `order`. */
  readonly attempts: number[];
  /** The last failure met, per position of `order` (undefined while none). */
  readonly failures: (TargetFailure | undefined)[];
  /** The first position no lane has claimed yet. */
  next = 0;
  /** Attempts made over every target. */
  totalAttempts = 0;
  /** Times the call moved on to another target. */
  failovers = 0;
  /** Hedged lanes started. */
  hedges = 0;
  /** The call has already joined a half-open probe (panic routing: once per call). */
  panicked = false;
  /** The position of the target whose early probe this call reserved and has not sent yet. */
  earlyProbe: number | undefined = undefined;
  /** The kind and error of the last failure met (skips included). */
  lastKind: FailureKind | undefined = undefined;
  lastError: unknown = undefined;
  /** The target of the last attempt started. */
  lastStarted: TargetHealth<T> | undefined = undefined;
  /** Position of the call's first attempt's target (for hedge races), -1 before it. */
  primary = -1;

  constructor(order: readonly TargetHealth<T>[]) {
    this.order = order;
    // A plain loop: `fill` and `map` cost more on these short arrays (the call path makes them).
    const n = order.length;
    const attempts = new Array<number>(n);
    const failures = new Array<TargetFailure | undefined>(n);
    for (let i = 0; i < n; i++) {
      attempts[i] = 0;
      failures[i] = undefined;
    }
    this.attempts = attempts;
    this.failures = failures;
  }

  /** An attempt starts on the target at `pos`. */
  started(pos: number): void {
    this.attempts[pos]!++;
    this.totalAttempts++;
    if (this.primary < 0) this.primary = pos;
    this.lastStarted = this.order[pos];
  }

  /** The target at `pos` failed with `err` of `kind` (after `attempts` attempts: 0 for a skip). */
  failed(pos: number, kind: FailureKind, err: unknown, attempts = this.attempts[pos]!): void {
    const before = this.failures[pos];
    this.lastKind = kind;
    this.lastError = err;
    // A skip after attempts that failed adds nothing: the attempts' record stays.
    if (attempts === 0 && before !== undefined && before.attempts > 0) return;
    this.failures[pos] =
      before === undefined || before.attempts === 0
        ? { target: this.order[pos]!.name, kind, cause: err, attempts }
        : {
            target: this.order[pos]!.name,
            kind,
            cause: err,
            attempts,
            earlier: [...(before.earlier ?? []), { kind: before.kind, cause: before.cause }],
          };
  }

  /**
   * The target at `pos` was skipped, its breaker open: `err` is its `openError` (a skip costs no
   * error of its own: the target keeps one per opening).
   */
  skipped(pos: number, err: unknown = this.order[pos]!.openError): void {
    this.failed(pos, 'unavailable', err, 0);
  }

  /** The first target after the claimed ones that admits the call now, or undefined. */
  nextAdmitting(): TargetHealth<T> | undefined {
    for (let i = this.next; i < this.order.length; i++) {
      const t = this.order[i]!;
      if (t.admits()) return t;
    }
    return undefined;
  }

  /** True when a target after the claimed ones admits the call now. */
  hasNext(): boolean {
    return this.nextAdmitting() !== undefined;
  }

  /** The failures met, in target order. */
  failureList(): TargetFailure[] {
    return this.failures.filter((f): f is TargetFailure => f !== undefined);
  }
}
