import { afterEach, beforeEach, expect, vi } from 'vitest';
import {
  type AttemptContext,
  createFailover,
  type Failover,
  type FailoverOptions,
  type FailoverTarget,
} from '../src/index.js';

/** An error shaped like an HTTP client's, with a status code (and optional headers). */
export function httpError(status: number, headers?: Record<string, string>): Error & { status: number } {
  return Object.assign(new Error(`HTTP ${status}`), {
    status,
    ...(headers ? { response: { status, headers } } : {}),
  });
}

/** An error shaped like a Node socket error. */
export function sysError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

/** Three named targets, like the README's. */
export const THREE: readonly FailoverTarget[] = [{ name: 'aws' }, { name: 'gcp' }, { name: 'azure' }];

/** A call log entry: which target, which attempt, with which signal. */
export interface CallRecord {
  readonly target: string;
  readonly attempt: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * An operation whose behaviour per target is a script: each entry is an error to throw, a value
 * to return, or `'hang'` (never settles unless aborted; rejects with the signal's reason then).
 * The last entry repeats. Records every call.
 */
export function scripted(
  script: Record<string, readonly unknown[]>,
): ((target: FailoverTarget, ctx: AttemptContext) => Promise<unknown>) & { calls: CallRecord[] } {
  const calls: CallRecord[] = [];
  const counters = new Map<string, number>();
  const op = (target: FailoverTarget, ctx: AttemptContext): Promise<unknown> => {
    calls.push({ target: target.name, attempt: ctx.attempt, signal: ctx.signal });
    const steps = script[target.name] ?? [`ok:${target.name}`];
    const i = counters.get(target.name) ?? 0;
    counters.set(target.name, i + 1);
    const step = steps[Math.min(i, steps.length - 1)];
    if (step === 'hang' || (typeof step === 'object' && step !== null && 'delay' in step)) {
      return new Promise((resolve, reject) => {
        const delay = step === 'hang' ? undefined : (step as { delay: number; value?: unknown }).delay;
        const timer =
          delay === undefined
            ? undefined
            : setTimeout(() => resolve((step as { value?: unknown }).value ?? `ok:${target.name}`), delay);
        ctx.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal?.reason);
        });
      });
    }
    if (step instanceof Error) return Promise.reject(step);
    return Promise.resolve(step);
  };
  return Object.assign(op, { calls });
}

/** The names of the targets called, in order. */
export function targetsOf(calls: readonly CallRecord[]): string[] {
  return calls.map((c) => c.target);
}

/** The state of a promise, readable synchronously (for fake-timer tests). */
export interface Tracked<T> {
  settled: boolean;
  value: T | undefined;
  error: unknown;
}

/** Tracks `promise` so a test can check, after advancing fake time, whether and how it settled. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { settled: false, value: undefined, error: undefined };
  promise.then(
    (v) => {
      t.settled = true;
      t.value = v;
    },
    (e: unknown) => {
      t.settled = true;
      t.error = e;
    },
  );
  return t;
}

/** Lets pending promise callbacks run (no fake time passes). */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** What {@link useFakeTimerRouters} gives a test file. */
export interface FakeTimerRouters {
  /** Every router made so far in the current test (closed after it); push any made by hand. */
  readonly routers: Failover[];
  /** How many timers were pending when the test started (before any router). */
  baseline(): number;
  /** A router over {@link THREE} with the file's defaults, overridden by `options`. */
  make(options?: Partial<FailoverOptions>): Failover;
}

/**
 * The fixture the router test files share: call it inside a `describe`. Each test runs under fake
 * timers (`now` sets their clock); the routers it made are closed after it and, with
 * `checkTimers`, no timer may outlive the test (every call cleans up after itself).
 */
export function useFakeTimerRouters(
  defaults: Partial<FailoverOptions> = {},
  fixture: { checkTimers?: boolean; now?: number } = {},
): FakeTimerRouters {
  const routers: Failover[] = [];
  let baseline = 0;
  beforeEach(() => {
    vi.useFakeTimers(fixture.now === undefined ? undefined : { now: fixture.now });
    baseline = vi.getTimerCount();
  });
  afterEach(() => {
    for (const fo of routers.splice(0)) fo.close();
    if (fixture.checkTimers) expect(vi.getTimerCount()).toBe(baseline);
    vi.useRealTimers();
  });
  return {
    routers,
    baseline: () => baseline,
    make(options = {}) {
      const breaker =
        defaults.breaker && options.breaker ? { breaker: { ...defaults.breaker, ...options.breaker } } : {};
      const fo = createFailover({ targets: THREE, ...defaults, ...options, ...breaker });
      routers.push(fo);
      return fo;
    },
  };
}
