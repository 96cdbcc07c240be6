import type { FailureKind } from './failure-kind.js';
import { redact } from './redact.js';

/** Options shared by every error class of the library. */
export interface FailoverErrorOptions {
  /** The original error (a provider error, a socket error...), kept untouched. */
  cause?: unknown;
  /** The name of the target the error happened on, when there is one. */
  target?: string;
}

/**
 * The brand every error of the library carries on its prototype chain, under a registry symbol
 * (`Symbol.for`), so it is the same symbol in every copy of `@failover/core` a process loads (two
 * versions nested by npm, an ESM and a CommonJS build side by side).
 */
const ERROR_BRAND: unique symbol = Symbol.for('@failover/error');

/**
 * Base class of every error the library throws: each has a {@link FailureKind} in `kind` and
 * keeps the error it came from in `cause`.
 *
 * `instanceof` works across copies of the package: `err instanceof InvalidOptionError` is true for
 * an `InvalidOptionError` thrown by another copy of `@failover/core` (a second version that npm
 * nested, or the CommonJS build next to the ESM one). It checks the class chain by name, so a
 * subclass (the storage and HTTP errors, or your own) gets the same behaviour. The
 * {@link isFailoverError} and {@link isInvalidOptionError} helpers say the same as functions.
 */
export class FailoverError extends Error {
  /** What kind of failure this is; see {@link FailureKind}. */
  readonly kind: FailureKind;
  /** The target the error happened on, when there is one. */
  readonly target: string | undefined;

  constructor(kind: FailureKind, message: string, options: FailoverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.target = options.target;
  }

  /**
   * `value instanceof C` for this class and every subclass `C`: true for an instance from this copy
   * of the package, and for a branded instance from another copy whose class chain holds a class of
   * the same name as `C`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` was asked about
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // biome-ignore lint/complexity/noThisInStatic: the subclass's name, not FailoverError's
    return isBranded(value) && chainHasClassNamed(value, this.name);
  }
}

Object.defineProperty(FailoverError.prototype, ERROR_BRAND, { value: 1, enumerable: false });

function isBranded(value: unknown): value is object {
  return (
    typeof value === 'object' && value !== null && (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] === 1
  );
}

function chainHasClassNamed(value: object, name: string): boolean {
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (
      Object.hasOwn(proto, 'constructor') &&
      (proto as { constructor: { name?: unknown } }).constructor.name === name
    )
      return true;
    // FailoverError's own prototype is the last that counts (Error and Object are not library classes).
    if (Object.hasOwn(proto, ERROR_BRAND)) return false;
  }
  return false;
}

/**
 * True for any error the library throws ({@link FailoverError} or a subclass), from whichever copy
 * of `@failover/core` made it. Same as `err instanceof FailoverError`.
 */
export function isFailoverError(err: unknown): err is FailoverError {
  return isBranded(err);
}

/**
 * True for an {@link InvalidOptionError} from whichever copy of `@failover/core` threw it. Same as
 * `err instanceof InvalidOptionError`.
 */
export function isInvalidOptionError(err: unknown): err is InvalidOptionError {
  return err instanceof InvalidOptionError;
}

/**
 * True for an {@link AllTargetsFailedError} from whichever copy of `@failover/core` threw it. Same
 * as `err instanceof AllTargetsFailedError`.
 */
export function isAllTargetsFailedError(err: unknown): err is AllTargetsFailedError {
  return err instanceof AllTargetsFailedError;
}

/** One target's failure, as listed by {@link AllTargetsFailedError.failures}. */
export interface TargetFailure {
  /** The target's name. */
  readonly target: string;
  /** The kind of its last failure. */
  readonly kind: FailureKind;
  /** Its last error, untouched. */
  readonly cause: unknown;
  /** How many attempts were made on it (0 when it was skipped, e.g. breaker open). */
  readonly attempts: number;
  /**
   * The failures of its earlier attempts in this call, oldest first (absent when the last attempt
   * was its only one). With `cause`, they tell whether any attempt may have reached the target: a
   * retry refused before sending does not undo a first attempt whose answer was cut.
   */
  readonly earlier?: readonly AttemptFailure[];
}

/** One failed attempt on a target: its kind and its error, untouched. */
export interface AttemptFailure {
  readonly kind: FailureKind;
  readonly cause: unknown;
}

/**
 * Every target failed (or was skipped because its breaker is open). `kind` is the kind of the last
 * failure; `failures` lists each target's name, kind and cause; `cause` is the last error.
 */
export class AllTargetsFailedError extends FailoverError {
  /** Each target's last failure, in target order. */
  readonly failures: readonly TargetFailure[];

  constructor(failures: readonly TargetFailure[], options: { kind?: FailureKind; cause?: unknown } = {}) {
    const last = failures[failures.length - 1];
    const kind = options.kind ?? last?.kind ?? 'unavailable';
    const list = failures.map((f) => `${f.target}: ${f.kind}${describeCause(f.cause)}`).join('; ');
    super(kind, `All targets failed (${list || 'no targets'})`, { cause: options.cause ?? last?.cause });
    this.failures = Object.freeze([...failures]);
  }
}

/** A target was skipped because its breaker is open (or its half-open probe slot is taken). */
export class BreakerOpenError extends FailoverError {
  constructor(target: string, options: { cause?: unknown } = {}) {
    super('unavailable', `Breaker for target "${target}" is open`, { target, cause: options.cause });
  }
}

/**
 * A target's bulkhead (`bulkhead` option) was full: `maxConcurrent` attempts in flight and
 * `maxQueue` calls already waiting. Kind `throttled` (a local limit: it never counts against the
 * target's breaker); the call moves to the next target, and appears as the cause of that target's
 * entry in an `AllTargetsFailedError` when none could take it.
 */
export class BulkheadFullError extends FailoverError {
  /** The bulkhead's `maxConcurrent`. */
  readonly maxConcurrent: number;
  /** The bulkhead's `maxQueue`. */
  readonly maxQueue: number;

  constructor(target: string, maxConcurrent: number, maxQueue: number) {
    super(
      'throttled',
      `Bulkhead for target "${target}" is full (${maxConcurrent} in flight, ${maxQueue} waiting)`,
      { target },
    );
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }
}

/** The call's deadline (`deadlineMs`) or an attempt's timeout (`attemptTimeoutMs`) passed. */
export class DeadlineExceededError extends FailoverError {
  /** The time budget that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, scope: 'deadline' | 'attempt', options: FailoverErrorOptions = {}) {
    super(
      'timeout',
      scope === 'deadline'
        ? `Deadline of ${timeoutMs} ms exceeded`
        : `Attempt timed out after ${timeoutMs} ms`,
      options,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The caller aborted the call through its AbortSignal. `cause` is the signal's reason. */
export class AbortedError extends FailoverError {
  constructor(options: FailoverErrorOptions = {}) {
    super('aborted', 'The operation was aborted', options);
  }
}

/** An option is invalid. Thrown at construction; the message names the option and what is allowed. */
export class InvalidOptionError extends FailoverError {
  /** The option's path, e.g. `retry.maxAttempts`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super('invalid', `Invalid option "${option}": ${message}`);
    this.option = option;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return ` (${cause.name}${typeof code === 'string' ? ` ${code}` : ''}: ${truncate(redact(cause.message))})`;
  }
  return '';
}

function truncate(message: string): string {
  return message.length > 120 ? `${message.slice(0, 117)}...` : message;
}
