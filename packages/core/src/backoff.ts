import type { RetryOptions } from './options.js';

/**
 * The delay before retry number `retry` (1 for the first retry), in whole milliseconds.
 *
 * With `cap = min(maxDelayMs, baseDelayMs * 2^(retry - 1))`:
 * - `none`: exactly `cap`;
 * - `full`: uniform in `[0, cap]` (AWS "full jitter");
 * - `decorrelated`: uniform in `[baseDelayMs, min(maxDelayMs, 3 * previousDelayMs)]`, where the
 *   previous delay starts at `baseDelayMs` (AWS "decorrelated jitter"; grows but stays random).
 *
 * `random` returns a number in [0, 1) (default `Math.random`).
 */
export function backoffDelay(
  retry: number,
  previousDelayMs: number | undefined,
  options: Required<Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'jitter'>>,
  random: () => number = Math.random,
): number {
  const { baseDelayMs: base, maxDelayMs: max } = options;
  if (options.jitter === 'decorrelated') {
    const prev = Math.max(previousDelayMs ?? base, base);
    const upper = Math.min(max, prev * 3);
    const lower = Math.min(base, upper);
    return lower + Math.floor(random() * (upper - lower + 1));
  }
  const cap = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  if (options.jitter === 'none') return cap;
  return Math.floor(random() * (cap + 1));
}
