import CircuitBreaker from 'opossum';
import type { Attempt, AttemptContext } from './attempt.js';
import type { ResolvedBreaker } from './options.js';
import type { AnyOperation } from './plan.js';

/** What a target's opossum breaker is fired with: the operation, its target and the attempt. */
export type BreakerArgs = [
  fn: AnyOperation,
  target: unknown,
  context: AttemptContext,
  attempt?: Attempt,
  operation?: string,
];

/** A target's opossum breaker. */
export type OpossumBreaker = CircuitBreaker<BreakerArgs, unknown>;

/** opossum never half-opens by itself: `TargetHealth` owns the open period. */
const OPOSSUM_RESET_MS = 2_147_483_647;

/** What a target's health does at each of its breaker's steps (see {@link createOpossum}). */
export interface OpossumHooks {
  /** The breaker's action: runs one attempt. */
  readonly action: (...args: BreakerArgs) => Promise<unknown>;
  /** opossum's error filter: true means "not a failure of the target". */
  readonly filter: (err: unknown, ...args: unknown[]) => boolean;
  /** opossum's fallback, for every failure that counts; its error is the last argument. */
  readonly fallback: (...args: unknown[]) => Promise<unknown>;
  /** An attempt succeeded, or failed with an error the filter let through. */
  readonly success: (latencyMs: number) => void;
  /** An attempt failed against the breaker. */
  readonly failure: (latencyMs: number) => void;
  /** opossum opened (on its error rate, or when told to). */
  readonly open: () => void;
  /** opossum's own reset timer fired (set out of reach: 24 days). */
  readonly halfOpen: () => void;
}

/**
 * The breaker's action for one attempt: a plain attempt calls the operation, a controlled one goes
 * through its Attempt, which returns a thenable (opossum awaits whatever has a `then` method: a
 * promise-like is what an action may return).
 */
export function breakerAction(
  fn: AnyOperation,
  target: unknown,
  context: AttemptContext,
  attempt?: Attempt,
): Promise<unknown> {
  return attempt === undefined ? fn(target, context) : (attempt.start(fn, target) as Promise<unknown>);
}

/**
 * A target's opossum breaker, used through its public API only: it keeps the rolling window and
 * opens on the error rate; its own timeout, percentile statistics and snapshots are off, and its
 * reset timer is set out of reach (the target's health owns the open period and the probe).
 */
export function createOpossum(name: string, options: ResolvedBreaker, hooks: OpossumHooks): OpossumBreaker {
  const b = new CircuitBreaker<BreakerArgs, unknown>(hooks.action, {
    name,
    timeout: false,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    errorThresholdPercentage: options.errorThresholdPercentage,
    volumeThreshold: options.volumeThreshold,
    rollingCountTimeout: options.rollingWindowMs,
    rollingCountBuckets: 10,
    resetTimeout: OPOSSUM_RESET_MS,
    errorFilter: hooks.filter,
  });
  b.fallback(hooks.fallback);
  b.on('success', (_result: unknown, latencyMs: number) => hooks.success(latencyMs));
  b.on('failure', (_err: unknown, latencyMs: number) => hooks.failure(latencyMs));
  b.on('open', hooks.open);
  b.on('halfOpen', hooks.halfOpen);
  return b;
}
