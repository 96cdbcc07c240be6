/**
 * The one word every provider error is reduced to.
 *
 * - Availability kinds (`unavailable`, `timeout`, `network`, `throttled`) say the target could not
 *   answer. They count against its breaker and move a call to the next target.
 * - Every other kind is an answer from a working target (a 404 is not an outage) and goes back to
 *   the caller at once, unchanged.
 * - `aborted` means the caller cancelled: it is neither an outage nor an answer.
 */
export type FailureKind =
  | 'unavailable'
  | 'timeout'
  | 'network'
  | 'throttled'
  | 'not_found'
  | 'precondition'
  | 'auth'
  | 'invalid'
  | 'aborted'
  | 'unknown';

/** Every {@link FailureKind}, in a stable order. */
export const FAILURE_KINDS: readonly FailureKind[] = Object.freeze([
  'unavailable',
  'timeout',
  'network',
  'throttled',
  'not_found',
  'precondition',
  'auth',
  'invalid',
  'aborted',
  'unknown',
]);

/** The kinds that mean "this target is not answering": they trip breakers and cause failover. */
export const AVAILABILITY_KINDS: readonly FailureKind[] = Object.freeze([
  'unavailable',
  'timeout',
  'network',
  'throttled',
]);

/** True for the kinds that count against a breaker and move a call to the next target. */
export function isAvailabilityKind(kind: FailureKind): boolean {
  return kind === 'unavailable' || kind === 'timeout' || kind === 'network' || kind === 'throttled';
}

/** True when `value` is one of the {@link FailureKind} strings. */
export function isFailureKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && (FAILURE_KINDS as readonly string[]).includes(value);
}
