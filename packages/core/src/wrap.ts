import { createFailoverWith, type Failover } from './failover.js';
import type { FailoverOptions, FailoverTarget, RunOptions } from './options.js';

/** Options of {@link wrap}: the router's options without targets or hedging, plus per-call defaults. */
export interface WrapOptions extends Omit<FailoverOptions, 'targets' | 'hedge'> {
  /** The target's name in events, status and errors. Default the function's name, or `wrapped`. */
  name?: string;
  /** True when the function may safely run more than once. Default `false`; see `RunOptions.idempotent`. */
  idempotent?: boolean;
  /** Time limit of each call (retries included) in ms. Default none. */
  deadlineMs?: number;
}

/** A wrapped function: same parameters and result, plus the router underneath. */
export type Wrapped<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  /** The one-target router: `status()`, `on()`, `close()`. */
  readonly failover: Failover<FailoverTarget>;
};

/**
 * Puts a breaker, retries (3 attempts by default) and a deadline around one async function, such
 * as an existing SDK call. The wrapped function takes the same arguments; when the call fails the
 * caller gets the function's own error (an answer, or an availability failure once retries are
 * used up: an `AllTargetsFailedError` with one entry), a `DeadlineExceededError` or a
 * `BreakerOpenError` cause when the breaker is open. The function does not receive an AbortSignal:
 * a deadline or an attempt timeout stops waiting for it but cannot cancel it; use
 * {@link createFailover} and `run` to pass a signal to the SDK.
 *
 * @example
 * const getUser = wrap((id: string) => api.getUser(id), { idempotent: true, deadlineMs: 2000 });
 * const user = await getUser('42');
 */
export function wrap<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  options: WrapOptions = {},
): Wrapped<A, R> {
  if (typeof fn !== 'function') throw new TypeError('wrap() needs a function');
  const { name, idempotent, deadlineMs, ...rest } = options;
  const failover = createFailoverWith({ ...rest, targets: [{ name: name ?? (fn.name || 'wrapped') }] }, 3);
  const runOptions: RunOptions = {};
  if (idempotent !== undefined) runOptions.idempotent = idempotent;
  if (deadlineMs !== undefined) runOptions.deadlineMs = deadlineMs;
  const hasOptions = idempotent !== undefined || deadlineMs !== undefined;
  const wrapped = function (this: unknown, ...args: A): Promise<R> {
    const call = (): Promise<R> => fn.apply(this, args);
    return hasOptions ? failover.run(call, runOptions) : failover.run(call);
  };
  Object.defineProperty(wrapped, 'failover', { value: failover, enumerable: true });
  Object.defineProperty(wrapped, 'name', { value: `wrapped ${fn.name}`.trim() });
  return wrapped as Wrapped<A, R>;
}
